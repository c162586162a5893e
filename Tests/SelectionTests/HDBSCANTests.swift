import Foundation
import Testing
@testable import Selection

struct HDBSCANGolden: Decodable {
    struct Set: Decodable {
        let name: String
        let minClusterSize: Int
        let minSamples: Int?
        let allowSingleCluster: Bool
        let points: [[Double]]
        let labels: [Int]
        let probabilities: [Double]
        let centroids: [[Double]]
    }
    let sets: [Set]
}

@Suite struct HDBSCANTests {
    static let golden = try! GoldenFiles.load(HDBSCANGolden.self, "hdbscan.json")

    @Test(arguments: golden.sets.map(\.name))
    func matchesLibrary(name: String) throws {
        let set = Self.golden.sets.first { $0.name == name }!
        let model = HDBSCAN(minClusterSize: set.minClusterSize, minSamples: set.minSamples,
                            allowSingleCluster: set.allowSingleCluster)
        let result = try model.fit(GoldenFiles.matrix(set.points))
        #expect(sameUpToRenumbering(result.labels, set.labels), "\(name): labels differ")
        #expect(result.clusterCount == set.centroids.count, "\(name): cluster count")
        // Map our cluster ids onto the library's to compare centroids and probabilities.
        var map: [Int: Int] = [:]
        for (a, b) in zip(result.labels, set.labels) where a >= 0 { map[a] = b }
        for (ours, theirs) in map {
            for (u, v) in zip(result.centroids[ours], set.centroids[theirs]) {
                #expect(abs(u - v) <= 1e-9 * max(1, abs(v)), "\(name): centroid \(theirs)")
            }
        }
        for (u, v) in zip(result.probabilities, set.probabilities) {
            #expect(abs(u - v) <= 1e-9, "\(name): probability")
        }
    }

    @Test func fewerThanTwoPointsAreNoise() throws {
        let one = try HDBSCAN(minClusterSize: 2).fit(Matrix(rowArrays: [[1, 2]]))
        #expect(one.labels == [-1])
        #expect(one.clusterCount == 0)
        let none = try HDBSCAN(minClusterSize: 2).fit(Matrix(zeros: 0, 2))
        #expect(none.labels.isEmpty)
    }

    @Test func rejectsBadInput() throws {
        #expect(throws: SelectionError.nonFiniteValue(matrix: "HDBSCAN input", row: 1, column: 0)) {
            try HDBSCAN(minClusterSize: 2).fit(Matrix(rowArrays: [[0, 0], [.nan, 1], [2, 2]]))
        }
        #expect(throws: SelectionError.self) { try HDBSCAN(minClusterSize: 1).fit(Matrix(zeros: 3, 2)) }
    }
}

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
        /// The library's default call as it ran on an AVX-512 machine.
        let labels: [Int]
        let probabilities: [Double]
        let centroids: [[Double]]
        /// The same call with the library's edge sort made stable.
        let stableLabels: [Int]
        let stableProbabilities: [Double]
        let tiesInSort: Bool
        /// The library's raw Boruvka spanning tree (source, sink, weight), up to 60 dimensions.
        let boruvkaEdges: [[Double]]?
    }
    let avx512: Bool
    let sets: [Set]
}

struct ArgsortGolden: Decodable {
    struct Set: Decodable {
        let keys: [Double]
        let order: [Int]
    }
    let avx512: Bool
    let sets: [Set]
    /// scikit-learn's `simultaneous_sort` of the keys with indices 0..<n.
    let sklearnSimultaneousSort: [Set]
}

@Suite struct HDBSCANTests {
    static let golden = try! GoldenFiles.load(HDBSCANGolden.self, "hdbscan.json")
    static let argsortGolden = try! GoldenFiles.load(ArgsortGolden.self, "numpy_argsort.json")

    static func set(_ name: String) -> HDBSCANGolden.Set { golden.sets.first { $0.name == name }! }

    @Test(arguments: golden.sets.map(\.name))
    func matchesLibraryDefaultCall(name: String) throws {
        #expect(Self.golden.avx512, "the goldens must come from an AVX-512 machine")
        let set = Self.set(name)
        let model = HDBSCAN(
            minClusterSize: set.minClusterSize, minSamples: set.minSamples,
            allowSingleCluster: set.allowSingleCluster)
        let result = try model.fit(GoldenFiles.matrix(set.points))
        let same = sameUpToRenumbering(result.labels, set.labels)
        #expect(same, "\(name): labels differ")
        #expect(result.clusterCount == set.centroids.count, "\(name): cluster count")
        guard same else { return }
        // Map our cluster ids onto the library's to compare centroids and probabilities.
        var map: [Int: Int] = [:]
        for (a, b) in zip(result.labels, set.labels) where a >= 0 { map[a] = b }
        for (ours, theirs) in map {
            for (u, v) in zip(result.centroids[ours], set.centroids[theirs]) {
                #expect(abs(u - v) <= 1e-9 * max(1, abs(v)), "\(name): centroid \(theirs)")
            }
        }
        for (u, v) in zip(result.probabilities, set.probabilities) {
            #expect(abs(u - v) <= 1e-12, "\(name): probability")
        }
    }

    @Test(arguments: golden.sets.map(\.name))
    func stableTieOrderMatchesLibraryWithStableSort(name: String) throws {
        let set = Self.set(name)
        let model = HDBSCAN(
            minClusterSize: set.minClusterSize, minSamples: set.minSamples,
            allowSingleCluster: set.allowSingleCluster, tieOrder: .stable)
        let result = try model.fit(GoldenFiles.matrix(set.points))
        #expect(sameUpToRenumbering(result.labels, set.stableLabels), "\(name): labels differ")
        for (u, v) in zip(result.probabilities, set.stableProbabilities) {
            #expect(abs(u - v) <= 1e-12, "\(name): probability")
        }
    }

    /// The Boruvka spanning tree equals the library's edge for edge, in its order, with the same
    /// weights to the bit.
    @Test(arguments: golden.sets.filter { $0.boruvkaEdges != nil }.map(\.name))
    func boruvkaEdgesMatchLibrary(name: String) throws {
        let set = Self.set(name)
        let n = set.points.count
        let k = max(1, min(n - 1, set.minSamples ?? set.minClusterSize))
        let edges = try BoruvkaMST.spanningTree(GoldenFiles.matrix(set.points), minSamples: k)
        let expected = set.boruvkaEdges!
        #expect(edges.count == expected.count)
        var firstDifference: Int?
        for (i, (e, x)) in zip(edges, expected).enumerated()
        where e.a != Int(x[0]) || e.b != Int(x[1]) || e.weight != x[2] {
            firstDifference = i
            break
        }
        #expect(firstDifference == nil, "\(name): first different edge at \(firstDifference ?? -1)")
    }

    @Test func numpyArgsortOrderMatchesNumpy() throws {
        #expect(Self.argsortGolden.avx512)
        for (i, set) in Self.argsortGolden.sets.enumerated() {
            #expect(NumpyArgsort.argsort(set.keys) == set.order, "set \(i), n = \(set.keys.count)")
        }
    }

    @Test func simultaneousSortMatchesScikitLearn() throws {
        for set in Self.argsortGolden.sklearnSimultaneousSort {
            var values = set.keys
            var indices = Array(set.keys.indices)
            SimultaneousSort.sort(&values, &indices)
            #expect(indices == set.order, "n = \(set.keys.count)")
        }
    }

    /// The tie order matters: on the goldens with uniform backgrounds a stable sort gives other
    /// labels than the library (so the test above is not vacuous).
    @Test func tieOrderChangesLabelsOnUniformBackgrounds() throws {
        let differing = Self.golden.sets.filter { !sameUpToRenumbering($0.labels, $0.stableLabels) }
        #expect(differing.count >= 5)
        #expect(differing.allSatisfy { $0.tiesInSort })
    }

    @Test func kdTreeSplitsAsScikitLearn() throws {
        // 2^levels - 1 nodes with levels = 1 + floor(log2((n - 1) / leaf)); leaves hold n / 2^k.
        var g = SplitMix64(seed: 5)
        let x = try Matrix(rows: 100, cols: 2, values: (0..<200).map { _ in Double(g.next() % 1000) / 7 })
        let tree = KDTree(x, leafSize: 13)
        #expect(tree.nodeCount == 7)
        #expect(Set(tree.indices) == Set(0..<100))
        for node in 0..<tree.nodeCount where !tree.isLeaf[node] {
            let l = 2 * node + 1, r = 2 * node + 2
            #expect(tree.end[l] - tree.start[l] == (tree.end[node] - tree.start[node]) / 2)
            #expect(tree.start[r] == tree.end[l])
        }
    }

    @Test func nthElementSelects() throws {
        var g = SplitMix64(seed: 9)
        for n in [1, 2, 3, 4, 5, 17, 100, 1000] {
            let values = (0..<n).map { _ in Int(g.next() % 50) }
            var a = Array(0..<n)
            let nth = n / 2
            let less: (Int, Int) -> Bool = { values[$0] == values[$1] ? $0 < $1 : values[$0] < values[$1] }
            NthElement.select(&a, 0, nth, n, by: less)
            let sorted = (0..<n).sorted(by: less)
            if n > 0 { #expect(a[nth] == sorted[nth]) }
            #expect(a[..<nth].allSatisfy { !less(a[nth], $0) })
            #expect(a[(nth + 1)...].allSatisfy { !less($0, a[nth]) })
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

import Testing
@testable import Actors

@Suite struct SelectionStepsTests {
    @Test func interClientKeepsOneCentroidPerServerCluster() throws {
        // Three tight groups of centroids from different clients, far apart.
        var cs: [SelectionSteps.ClientCentroid] = []
        let groups: [[Double]] = [[0, 0], [50, 0], [0, 50]]
        for (g, center) in groups.enumerated() {
            for k in 0..<3 {
                cs.append(.init(client: k, id: g, coordinates: [center[0] + Double(k) * 0.1, center[1] - Double(k) * 0.05]))
            }
        }
        let chosen = try SelectionSteps.interClient(cs, minClusterSize: 2)
        #expect(chosen.values.reduce(0) { $0 + $1.count } == 3)
        #expect(Set(chosen.values.flatMap { $0 }) == [0, 1, 2])
    }

    @Test func coresetTakesTheSampleNearestToEachChosenCentroid() {
        let c = LocalClustering(points: [0, 0, 1, 1, 10, 10, 11, 11, 5, 5], dims: 2, labels: [0, 0, 1, 1, -1],
                                centroids: [[0.9, 0.9], [10.2, 10.2]])
        #expect(SelectionSteps.coreset(c, chosenIDs: [1], referenceDefect: false) == [2])
        #expect(SelectionSteps.coreset(c, chosenIDs: [0, 1, 1], referenceDefect: false) == [1, 2])
        #expect(SelectionSteps.coreset(c, chosenIDs: [-1, 7], referenceDefect: true) == [])
        // The reference defect sends the labels of the first samples as ids.
        #expect(c.sentIDs(referenceDefect: false) == [0, 1])
        #expect(c.sentIDs(referenceDefect: true) == [0, 0])
    }

    @Test func baselinesTakeTheRatio() throws {
        var rng = SeededGenerator(seed: 1, round: 1, client: 1, purpose: .randomSelection)
        let r = SelectionSteps.random(count: 200, ratio: 0.015, using: &rng)
        #expect(r.count == 3 && Set(r).count == 3)
        #expect(try SelectionSteps.lowestPerplexity([5, 1, 3, 1, 9], ratio: 0.4) == [1, 3])
    }
}

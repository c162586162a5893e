import Testing
import Selection
@testable import Actors

@Suite struct SelectionStepsTests {
    @Test func interClientKeepsOneCentroidPerServerCluster() throws {
        // Three tight groups of centroids from different clients, far apart.
        var cs: [ClientCentroid] = []
        let groups: [[Double]] = [[0, 0], [50, 0], [0, 50]]
        for (g, center) in groups.enumerated() {
            for k in 0..<3 {
                cs.append(ClientCentroid(client: k, cluster: g, point: [center[0] + Double(k) * 0.1, center[1] - Double(k) * 0.05]))
            }
        }
        let chosen = try SelectionSteps.interClient(cs, minClusterSize: 2)
        #expect(chosen.values.reduce(0) { $0 + $1.count } == 3)
        #expect(Set(chosen.values.flatMap { $0 }) == [0, 1, 2])
    }

    @Test func intraClientFindsPlantedClustersAndTimesBothSteps() throws {
        var values: [Float] = []
        var rng = SeededGenerator(seed: 3, round: 0, client: 0, purpose: .other)
        for i in 0..<40 {
            for j in 0..<5 { values.append(Float((i % 4) == j ? 20 : 0) + Float.random(in: -0.3...0.3, using: &rng)) }
        }
        var c = RunConfig()
        c.tsneIterations = 250
        var r = SeededGenerator(seed: 3, round: 1, client: 0, purpose: .tsne)
        let (local, fusion, clustering) = try SelectionSteps.intraClient(FeatureMatrix(count: 40, width: 5, values: values),
                                                                         fusion: .pca, config: c, using: &r)
        #expect(local.clusterCount == 4)
        #expect(fusion >= 0 && clustering >= 0)
        // The reference defect pairs centroid i with the label of sample i.
        #expect(local.outgoing(pairing: .referenceSampleLabel).map(\.id) == Array(local.labels.prefix(4)))
    }

    @Test func globalSelectReturnsSampleIndicesPerClient() throws {
        let a: [Double] = [0, 0, 0.1, 0, 30, 30, 30.1, 30]
        let b: [Double] = [0, 0.1, 30, 30.1]
        let chosen = try SelectionSteps.globalSelect([(0, a), (1, b)], dims: 2, minClusterSize: 2)
        #expect(chosen.values.reduce(0) { $0 + $1.count } == 2)
        #expect(chosen.allSatisfy { c, ids in ids.allSatisfy { $0 < (c == 0 ? 4 : 2) } })
    }
}

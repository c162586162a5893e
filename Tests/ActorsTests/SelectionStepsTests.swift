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
                cs.append(
                    ClientCentroid(
                        client: k, cluster: g, point: [center[0] + Double(k) * 0.1, center[1] - Double(k) * 0.05]))
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
        let (local, fusion, clustering) = try SelectionSteps.intraClient(
            FeatureMatrix(count: 40, width: 5, values: values),
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

    /// The paper's rule trains on the true nearest member; the reference's shuffle defect trains
    /// on the ROW index of that member in the shuffled feature matrix, taken as a sample index.
    @Test func paperAndShuffleDefectTrainOnDifferentSamples() throws {
        // Features of 6 samples in their original order: cluster A = samples 0, 2, 4 around (0, 0)
        // (sample 2 nearest its centroid), cluster B = samples 1, 4, 5 around (11, 10) (sample 5 nearest).
        let original: [[Double]] = [[1, 0], [13, 10], [0.1, 0], [-1.5, 0], [9, 10], [11, 10]]
        let labelsOriginal = [0, 1, 0, 0, 1, 1]
        func clustering(rows: [[Double]], labels: [Int]) throws -> ClientClustering {
            var centroids: [[Double]] = []
            for c in 0..<2 {
                let m = rows.indices.filter { labels[$0] == c }
                centroids.append([0, 1].map { j in m.reduce(0.0) { $0 + rows[$1][j] } / Double(m.count) })
            }
            return ClientClustering(
                fused: try Matrix(rowArrays: rows), labels: labels,
                probabilities: labels.map { _ in 1 }, centroids: centroids, klDivergence: nil)
        }
        // Paper: no permutation; the nearest members are samples 2 and 5.
        var r1 = SeededGenerator(seed: 1, round: 1, client: 0, purpose: .shuffle)
        let paper = SelectionSteps.coresetSamples(
            try clustering(rows: original, labels: labelsOriginal), selectedIDs: [0, 1],
            order: nil, mode: .paper, using: &r1)
        #expect(Set(paper) == [2, 5])
        // The reference's order: row r holds sample order[r]. Sample 2 sits in row 0, sample 5 in row 3.
        let order = [2, 0, 4, 5, 3, 1]
        let permuted = try clustering(rows: order.map { original[$0] }, labels: order.map { labelsOriginal[$0] })
        var r2 = SeededGenerator(seed: 1, round: 1, client: 0, purpose: .shuffle)
        let shuffled = SelectionSteps.coresetSamples(
            permuted, selectedIDs: [0, 1], order: order, mode: .referenceShuffle, using: &r2)
        #expect(Set(shuffled) == [0, 3])  // the rows picked, trained as samples 0 and 3: not representatives
        // The same permuted clustering mapped back correctly gives the paper's choice.
        var r3 = SeededGenerator(seed: 1, round: 1, client: 0, purpose: .shuffle)
        #expect(
            Set(SelectionSteps.coresetSamples(permuted, selectedIDs: [0, 1], order: order, mode: .paper, using: &r3))
                == [2, 5])
        // Both defects: the ids the server returns are used as they come; the rows are trained as samples.
        var r4 = SeededGenerator(seed: 1, round: 1, client: 0, purpose: .shuffle)
        #expect(
            Set(
                SelectionSteps.coresetSamples(
                    permuted, selectedIDs: [1], order: order, mode: .referenceBoth, using: &r4)) == [3])
    }

    @Test func referenceFeatureOrderIsASeededPermutation() {
        let a = SelectionSteps.referenceFeatureOrder(count: 50, seed: 7, round: 3, client: 2)
        #expect(a.sorted() == Array(0..<50) && a != Array(0..<50))
        #expect(a == SelectionSteps.referenceFeatureOrder(count: 50, seed: 7, round: 3, client: 2))
        #expect(a != SelectionSteps.referenceFeatureOrder(count: 50, seed: 7, round: 4, client: 2))
        #expect(a != SelectionSteps.referenceFeatureOrder(count: 50, seed: 7, round: 3, client: 1))
        let f = FeatureMatrix(count: 3, width: 2, values: [0, 1, 10, 11, 20, 21])
        #expect(SelectionSteps.permuteRows(f, [2, 0, 1]).values == [20, 21, 0, 1, 10, 11])
    }

    @Test func ratioCountIsKeyedBySeedRoundAndClient() throws {
        var c = RunConfig()
        c.ratio = 0.015
        // 11 samples: 0 or 1; over many (round, client) keys the mean is 0.165.
        var sum = 0, draws = 0
        for round in 1...200 {
            for client in 0..<50 {
                let k = try SelectionSteps.ratioCount(11, config: c, round: round, client: client)
                #expect(k == (try SelectionSteps.ratioCount(11, config: c, round: round, client: client)))
                sum += k
                draws += 1
            }
        }
        let se = (0.165 * 0.835 / Double(draws)).squareRoot()
        #expect(abs(Double(sum) / Double(draws) - 0.165) < 5 * se)
        c.ratioRounding = .floorMin1
        #expect(try SelectionSteps.ratioCount(11, config: c, round: 1, client: 0) == 1)
    }
}

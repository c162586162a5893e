import Foundation
import Testing
@testable import Selection

/// Three well-separated groups of `size` samples in `dim` columns.
func threeGroups(size: Int, dim: Int = 10, seed: UInt64 = 11) throws -> Matrix {
    var rng = SplitMix64(seed: seed)
    var rows: [[Double]] = []
    for g in 0..<3 {
        for _ in 0..<size {
            rows.append((0..<dim).map { j in (j % 3 == g ? 50.0 : 0.0) + Double.random(in: -1...1, using: &rng) })
        }
    }
    return try Matrix(rowArrays: rows)
}

@Suite struct FedHDSSelectorTests {
    @Test func intraClientFindsTheGroupsWithEveryFusion() throws {
        // 20 per group: with n = 24 the perplexity min(30, n - 1) = 23 makes P almost uniform and
        // scikit-learn's t-SNE (like ours) then shows no groups at all.
        let x = try threeGroups(size: 20)
        for fusion in [Fusion.fedHDS, .pca(components: 2), .kernelPCA(KernelPCA())] {
            var rng = SplitMix64(seed: 1)
            let c = try FedHDSIntraClient(minClusterSize: 5, fusion: fusion).run(features: x, using: &rng)
            #expect(c.clusterCount == 3, "\(fusion): \(c.labels) \(c.fused.rowArrays)")
            for g in 0..<3 {
                let labels = Set(c.labels[(g * 20)..<(g * 20 + 20)])
                #expect(labels.count == 1 && !labels.contains(-1))
            }
            // One sample per cluster, each from a different group.
            let core = c.coresetOfAllClusters(using: &rng)
            #expect(Set(core.map { $0 / 20 }) == [0, 1, 2])
        }
    }

    @Test func tinyClientsSendNothing() throws {
        var rng = SplitMix64(seed: 2)
        let intra = FedHDSIntraClient(minClusterSize: 2)
        let one = try intra.run(features: Matrix(rowArrays: [[1, 2, 3]]), using: &rng)
        #expect(one.clusterCount == 0 && one.labels == [-1])
        let two = try intra.run(features: Matrix(rowArrays: [[1, 2, 3], [4, 5, 6]]), using: &rng)
        #expect(two.clusterCount == 0)
        let three = try intra.run(features: Matrix(rowArrays: [[1, 2, 3], [1.1, 2, 3], [40, 50, 60]]), using: &rng)
        #expect(three.clusterCount == 0)
        #expect(three.outgoing().isEmpty)
        #expect(three.coreset(selectedIDs: [0], using: &rng).isEmpty)
    }

    @Test func identicalSamplesGiveNoCluster() throws {
        var rng = SplitMix64(seed: 3)
        let x = try Matrix(rowArrays: [[Double]](repeating: [0.5, -1, 2], count: 9))
        let c = try FedHDSIntraClient(minClusterSize: 2).run(features: x, using: &rng)
        #expect(c.clusterCount == 0)
        #expect(c.labels.allSatisfy { $0 == -1 })
    }

    @Test func nonFiniteFeaturesAreNamed() throws {
        var rng = SplitMix64(seed: 4)
        var x = try threeGroups(size: 4)
        x[5, 7] = .nan
        #expect(throws: SelectionError.nonFiniteValue(matrix: "client features", row: 5, column: 7)) {
            try FedHDSIntraClient(minClusterSize: 2).run(features: x, using: &rng)
        }
    }

    @Test func referencePairingDefectIsAvailable() throws {
        let c = ClientClustering(
            fused: try Matrix(rowArrays: [[0, 0], [0, 1], [5, 5], [5, 6], [9, 9]]),
            labels: [-1, 0, 1, 1, 0], probabilities: [0, 1, 1, 1, 1],
            centroids: [[0, 0.5], [5, 5.5]], klDivergence: nil)
        #expect(c.outgoing().map(\.id) == [0, 1])
        #expect(c.outgoing(pairing: .referenceSampleLabel).map(\.id) == [-1, 0])
        #expect(c.outgoing(pairing: .referenceSampleLabel).map(\.centroid) == [[0, 0.5], [5, 5.5]])
        // Python indexing: id -1 names the last centroid.
        #expect(c.centroid(forID: -1) == [5, 5.5])
        #expect(c.centroid(forID: 2) == nil)
        var rng = SplitMix64(seed: 1)
        #expect(c.coreset(selectedIDs: [1], using: &rng) == [2])
        #expect(Set(c.coreset(selectedIDs: [0, 1, 0], using: &rng)) == [1, 2])
        // Nearest to cluster 0's centroid (0, 0.5) overall is sample 0 (noise); the paper's rule
        // (the default) searches the cluster's members (1 and 4) only: sample 1.
        #expect(c.coreset(selectedIDs: [0], using: &rng) == [1])
        #expect(c.coreset(selectedIDs: [0], withinCluster: false, using: &rng) == [0])
        #expect(Set(c.coresetOfAllClusters(using: &rng)) == [1, 2])
    }

    /// Paper Eq. 10: for each selected cluster, its own member nearest its centroid, never a noise
    /// point and never a member of another cluster, even when those lie nearer the centroid.
    @Test func coresetTakesTheNearestMemberOfTheSelectedClusterOnly() throws {
        // Cluster 0: samples 1, 3, 5 (centroid (0, 0)); cluster 1: samples 2, 4 (centroid (10, 0)).
        // Sample 0 is noise exactly at cluster 0's centroid; sample 6 (cluster 1) sits at (0.1, 0).
        let c = ClientClustering(
            fused: try Matrix(rowArrays: [[0, 0], [2, 0], [10, 1], [0, -1.5], [11, 0], [-3, 0], [0.1, 0]]),
            labels: [-1, 0, 1, 0, 1, 0, 1], probabilities: [0, 1, 1, 1, 1, 1, 1],
            centroids: [[0, 0], [10, 0]], klDivergence: nil)
        var rng = SplitMix64(seed: 3)
        // Nearer to (0, 0) than any member of cluster 0 are the noise point 0 and cluster 1's sample 6.
        #expect(c.coreset(selectedIDs: [0], using: &rng) == [3])  // members at 2, 1.5, 3: sample 3
        #expect(c.coreset(selectedIDs: [1], using: &rng) == [2])  // (10, 1) and (11, 0) tie at 1: lower index
        #expect(Set(c.coresetOfAllClusters(using: &rng)) == [3, 2])
        // The old all-samples search takes the noise point.
        #expect(c.coreset(selectedIDs: [0], withinCluster: false, using: &rng) == [0])
    }

    @Test func interClientChoosesOneCentroidPerServerCluster() throws {
        // Two tight groups of centroids from different clients, and one far-away noise centroid.
        let received = [
            ClientCentroid(client: 3, cluster: 0, point: [0, 0]),
            ClientCentroid(client: 1, cluster: 2, point: [0.1, 0]),
            ClientCentroid(client: 2, cluster: 0, point: [0.05, 0.01]),
            ClientCentroid(client: 1, cluster: 0, point: [10, 10]),
            ClientCentroid(client: 2, cluster: 1, point: [10.2, 10]),
            ClientCentroid(client: 4, cluster: 0, point: [10.1, 10.05]),
            ClientCentroid(client: 5, cluster: 7, point: [-40, 60])
        ]
        let s1 = try FedHDSInterClient().select(received)
        let s2 = try FedHDSInterClient().select(received.reversed())
        #expect(s1 == s2)
        #expect(s1.chosen.count == 2)
        #expect(Set(s1.chosen.map(\.client)) == [2, 4])
        #expect(s1.selectedIDs(forClient: 2) == [0])
        #expect(s1.selectedIDs(forClient: 5).isEmpty)
        // Fewer than two centroids: nothing chosen.
        #expect(try FedHDSInterClient().select([received[0]]).chosen.isEmpty)
        #expect(try FedHDSInterClient().select([]).chosen.isEmpty)
    }
}

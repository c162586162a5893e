import Foundation
import Selection

/// The round protocol's calls into the Selection module (plain arrays in and out).
enum SelectionSteps {
    static func wrap<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw ActorsError.module("\(what): \(error)") }
    }

    static func matrix(_ f: FeatureMatrix) throws -> Matrix {
        try wrap("features") { try Matrix(rows: f.count, cols: f.width, floats: f.values) }
    }

    static func fusion(_ kind: MethodPlan.Fusion, samples n: Int, config: RunConfig) -> Fusion {
        switch kind {
        case .tsne:
            return .tsne(
                TSNE(
                    components: 2, perplexity: min(config.tsnePerplexity, Double(max(n - 1, 1))),
                    maxIterations: config.tsneIterations))
        case .pca: return .pca(components: 2)
        case .kernelPCA: return .kernelPCA(KernelPCA(components: 2))
        }
    }

    /// Steps 3-4 (`FedHDSIntraClient`): fusion, then HDBSCAN and weighted centroids, each step
    /// timed (the paper's breakdown separates fusion from intra-client clustering).
    static func intraClient(
        _ f: FeatureMatrix, fusion kind: MethodPlan.Fusion, config: RunConfig,
        using rng: inout SeededGenerator
    ) throws -> (ClientClustering, fusion: Double, clustering: Double) {
        let x = try matrix(f)
        let intra = FedHDSIntraClient(
            minClusterSize: config.effectiveMinClusterSize,
            fusion: fusion(kind, samples: f.count, config: config))
        guard f.count >= 2 else {
            return (try wrap("intra-client clustering") { try intra.run(features: x, using: &rng) }, 0, 0)
        }
        let t0 = Date()
        let (points, kl) = try wrap("fusion") { try intra.fuse(x, using: &rng) }
        let t1 = Date()
        let c = try wrap("HDBSCAN") { try intra.cluster(points, klDivergence: kl) }
        return (c, t1.timeIntervalSince(t0), Date().timeIntervalSince(t1))
    }

    /// GlobalSelect's upload: the fused points only (row-major n x 2).
    static func fuse(
        _ f: FeatureMatrix, fusion kind: MethodPlan.Fusion, config: RunConfig,
        using rng: inout SeededGenerator
    ) throws -> [Double] {
        guard f.count >= 2 else { return [Double](repeating: 0, count: 2 * f.count) }
        return try wrap("fusion") {
            try fusion(kind, samples: f.count, config: config).apply(try matrix(f), using: &rng).points.values
        }
    }

    /// Step 6: the ids each client should take its coreset from.
    static func interClient(_ cs: [ClientCentroid], minClusterSize: Int) throws -> [Int: [Int]] {
        guard cs.count >= 2 else { return [:] }
        let r = try wrap("inter-client clustering") { try FedHDSInterClient(minClusterSize: minClusterSize).select(cs) }
        var out: [Int: [Int]] = [:]
        for c in Set(r.chosen.map(\.client)) { out[c] = r.selectedIDs(forClient: c) }
        return out
    }

    /// GlobalSelect: one clustering of everybody's fused points; sample indices per client.
    static func globalSelect(_ clients: [(client: Int, points: [Double])], dims: Int, minClusterSize: Int) throws
        -> [Int: [Int]]
    {
        var samples: [ClientSample] = []
        for (c, p) in clients {
            for i in 0..<(p.count / dims) {
                samples.append(ClientSample(client: c, sample: i, point: Array(p[(i * dims)..<((i + 1) * dims)])))
            }
        }
        guard samples.count >= 2 else { return [:] }
        let chosen = try wrap("GlobalSelect") { try GlobalSelect(minClusterSize: minClusterSize).select(samples) }
        var out: [Int: [Int]] = [:]
        for c in Set(chosen.map(\.client)) { out[c] = GlobalSelect.samples(of: c, in: chosen) }
        return out
    }

    /// `selection.mode` reference-shuffle: the order in which the reference's shuffled
    /// `DataLoader` would visit the client's samples this round. Row r of its feature matrix holds
    /// sample `order[r]`. Seeded by (seed, round, client).
    static func referenceFeatureOrder(count n: Int, seed: UInt64, round: Int, client: Int) -> [Int] {
        var rng = SeededGenerator(seed: seed, round: round, client: client, purpose: .featureOrder)
        return Array(0..<n).shuffled(using: &rng)
    }

    /// The feature matrix whose row r is row `order[r]` of `f`.
    static func permuteRows(_ f: FeatureMatrix, _ order: [Int]) -> FeatureMatrix {
        var v = [Float]()
        v.reserveCapacity(f.values.count)
        for r in order { v.append(contentsOf: f.values[(r * f.width)..<((r + 1) * f.width)]) }
        return FeatureMatrix(count: order.count, width: f.width, values: v)
    }

    /// Step 7: the local samples a client trains on. The coreset rows come from `clustering`
    /// (the member of each selected cluster nearest its centroid); `order[r]` is the sample whose
    /// features are row r (nil: the identity). The paper's rule trains on sample `order[r]`; the
    /// reference's shuffle defect (`mode.shuffleDefect`) trains on sample r, the row index taken
    /// as an index into the dataset in its original order.
    static func coresetSamples(
        _ clustering: ClientClustering, selectedIDs: [Int], order: [Int]?, mode: SelectionMode,
        using rng: inout SeededGenerator
    ) -> [Int] {
        let rows = clustering.coreset(selectedIDs: selectedIDs, using: &rng)
        guard let order, !mode.shuffleDefect else { return rows }
        return rows.map { order[$0] }
    }

    /// How many of its n samples a client takes under `selection.ratio` and
    /// `selection.ratio_rounding` in `round` (the stochastic draw is keyed by (seed, round, client)).
    static func ratioCount(_ n: Int, config: RunConfig, round: Int, client: Int) throws -> Int {
        var rng = SeededGenerator(seed: config.seed, round: round, client: client, purpose: .ratioRounding)
        return try wrap("selection ratio") {
            try RatioCount.count(of: n, ratio: config.ratio, rounding: config.ratioRounding, using: &rng)
        }
    }

    /// Random: `k` of the n local samples, uniformly.
    static func random(_ k: Int, of n: Int, using rng: inout SeededGenerator) -> [Int] {
        RandomSelector.sample(k, of: n, using: &rng)
    }

    /// Perplexity: the `k` samples with the lowest perplexity.
    static func lowestPerplexity(_ k: Int, of p: [Double]) throws -> [Int] {
        try wrap("Perplexity selection") { try PerplexitySelector.lowest(k, of: p) }
    }

    /// Coreset-Cent over the whole federation: one k-means over every client's (last-layer)
    /// features; the chosen sample indices of each client.
    static func centralCoresetCent(
        _ clients: [(client: Int, features: FeatureMatrix)], ratio: Double, clusters: Int,
        using rng: inout SeededGenerator
    ) throws -> [Int: [Int]] {
        let matrices = try clients.map { (client: $0.client, features: try matrix($0.features)) }
        return try wrap("Coreset-Cent selection") {
            try CoresetCentSelector(ratio: ratio, clusters: clusters).selectAcrossClients(matrices, using: &rng)
        }
    }
}

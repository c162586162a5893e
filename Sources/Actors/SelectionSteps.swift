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
            return .tsne(TSNE(components: 2, perplexity: min(config.tsnePerplexity, Double(max(n - 1, 1))),
                              maxIterations: config.tsneIterations))
        case .pca: return .pca(components: 2)
        case .kernelPCA: return .kernelPCA(KernelPCA(components: 2))
        }
    }

    /// Steps 3-4: fusion, then HDBSCAN and weighted centroids, as `FedHDSIntraClient.run` does,
    /// in two timed steps (the paper's breakdown separates fusion from intra-client clustering).
    static func intraClient(_ f: FeatureMatrix, fusion kind: MethodPlan.Fusion, config: RunConfig,
                            using rng: inout SeededGenerator) throws -> (ClientClustering, fusion: Double, clustering: Double) {
        let x = try matrix(f)
        guard f.count >= 2 else {
            return (try wrap("intra-client clustering") {
                try FedHDSIntraClient(minClusterSize: config.effectiveMinClusterSize).run(features: x, using: &rng)
            }, 0, 0)
        }
        let t0 = Date()
        let (points, kl) = try wrap("fusion") {
            try x.checkFinite(name: "client features")
            return try fusion(kind, samples: f.count, config: config).apply(x, using: &rng)
        }
        let t1 = Date()
        let h = try wrap("HDBSCAN") { try HDBSCAN(minClusterSize: config.effectiveMinClusterSize).fit(points) }
        let c = ClientClustering(fused: points, labels: h.labels, probabilities: h.probabilities, centroids: h.centroids, klDivergence: kl)
        return (c, t1.timeIntervalSince(t0), Date().timeIntervalSince(t1))
    }

    /// GlobalSelect's upload: the fused points only (row-major n x 2).
    static func fuse(_ f: FeatureMatrix, fusion kind: MethodPlan.Fusion, config: RunConfig,
                     using rng: inout SeededGenerator) throws -> [Double] {
        guard f.count >= 2 else { return [Double](repeating: 0, count: 2 * f.count) }
        return try wrap("fusion") { try fusion(kind, samples: f.count, config: config).apply(try matrix(f), using: &rng).points.values }
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
    static func globalSelect(_ clients: [(client: Int, points: [Double])], dims: Int, minClusterSize: Int) throws -> [Int: [Int]] {
        var samples: [ClientSample] = []
        for (c, p) in clients {
            for i in 0..<(p.count / dims) { samples.append(ClientSample(client: c, sample: i, point: Array(p[(i * dims)..<((i + 1) * dims)]))) }
        }
        guard samples.count >= 2 else { return [:] }
        let chosen = try wrap("GlobalSelect") { try GlobalSelect(minClusterSize: minClusterSize).select(samples) }
        var out: [Int: [Int]] = [:]
        for c in Set(chosen.map(\.client)) { out[c] = GlobalSelect.samples(of: c, in: chosen) }
        return out
    }

    static func random(count n: Int, ratio: Double, using rng: inout SeededGenerator) throws -> [Int] {
        try wrap("Random selection") { try RandomSelector(ratio: ratio).select(count: n, using: &rng) }
    }

    static func lowestPerplexity(_ p: [Double], ratio: Double) throws -> [Int] {
        try wrap("Perplexity selection") { try PerplexitySelector(ratio: ratio).select(perplexities: p) }
    }

    static func coresetCent(_ f: FeatureMatrix, ratio: Double, clusters: Int, using rng: inout SeededGenerator) throws -> [Int] {
        try wrap("Coreset-Cent selection") { try CoresetCentSelector(ratio: ratio, clusters: clusters).select(features: try matrix(f), using: &rng) }
    }
}

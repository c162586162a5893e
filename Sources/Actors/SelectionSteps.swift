import Foundation
import Selection

/// The round protocol's calls into the Selection module (plain arrays in and out).
enum SelectionSteps {
    struct ClientCentroid: Sendable, Equatable {
        var client: Int
        /// The id the client sent with it (its cluster id; see the reference defect).
        var id: Int
        var coordinates: [Double]
    }

    static func wrap<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw ActorsError.module("\(what): \(error)") }
    }

    /// Step 3: the client's feature vectors fused to 2-D (t-SNE, PCA or Kernel PCA).
    static func fuse(_ f: FeatureMatrix, fusion: MethodPlan.Fusion, config: RunConfig,
                     using rng: inout SeededGenerator) throws -> [Double] {
        guard f.count >= 2 else { return [Double](repeating: 0, count: 2 * f.count) }
        let x = try wrap("features") { try Matrix(rows: f.count, cols: f.width, floats: f.values) }
        switch fusion {
        case .tsne:
            let tsne = TSNE(components: 2, perplexity: min(config.tsnePerplexity, Double(f.count - 1)),
                            maxIterations: config.tsneIterations)
            return try wrap("t-SNE") { try tsne.fit(x, using: &rng).embedding.values }
        case .pca:
            return try wrap("PCA") { try PCA(components: 2).fitTransform(x).scores.values }
        case .kernelPCA:
            throw ActorsError.module("Kernel PCA fusion needs the Selection module's KernelPCA, not merged yet")
        }
    }

    /// Step 4: HDBSCAN on the fused points, weighted centroids.
    static func intraClusters(points: [Double], dims: Int, minClusterSize: Int) throws -> LocalClustering {
        let n = points.count / dims
        let m = try wrap("fused points") { try Matrix(rows: n, cols: dims, values: points) }
        let r = try wrap("HDBSCAN") { try HDBSCAN(minClusterSize: minClusterSize).fit(m) }
        return LocalClustering(points: points, dims: dims, labels: r.labels, centroids: r.centroids)
    }

    /// Step 7: for each chosen cluster, the local sample nearest to its (un-noised) centroid.
    /// With the reference defect the chosen ids are whatever labels were sent: ids that are
    /// no cluster (-1) choose nothing. Each sample at most once; sorted.
    static func coreset(_ c: LocalClustering, chosenIDs: [Int], referenceDefect: Bool) -> [Int] {
        var out = Set<Int>()
        for id in Set(chosenIDs) where id >= 0 && id < c.centroids.count {
            if let i = nearest(c.points, dims: c.dims, to: c.centroids[id]) { out.insert(i) }
        }
        return out.sorted()
    }

    static func nearest(_ points: [Double], dims: Int, to q: [Double]) -> Int? {
        let n = points.count / dims
        var best = -1, bestD = Double.infinity
        for i in 0..<n {
            var d = 0.0
            for j in 0..<dims { let t = points[i * dims + j] - q[j]; d += t * t }
            if d < bestD { bestD = d; best = i }
        }
        return best >= 0 ? best : nil
    }

    /// Step 6: HDBSCAN over all centroids; in each server cluster, the member nearest to its
    /// weighted centroid is selected. Returns the selected ids per client.
    static func interClient(_ cs: [ClientCentroid], minClusterSize: Int) throws -> [Int: [Int]] {
        guard let dims = cs.first?.coordinates.count, cs.count >= 2 else { return [:] }
        let m = try wrap("centroids") { try Matrix(rowArrays: cs.map(\.coordinates)) }
        let r = try wrap("server HDBSCAN") { try HDBSCAN(minClusterSize: minClusterSize).fit(m) }
        var out: [Int: [Int]] = [:]
        for (k, center) in r.centroids.enumerated() {
            let members = r.members(of: k)
            var best = -1, bestD = Double.infinity
            for i in members {
                var d = 0.0
                for j in 0..<dims { let t = cs[i].coordinates[j] - center[j]; d += t * t }
                if d < bestD { bestD = d; best = i }
            }
            if best >= 0 { out[cs[best].client, default: []].append(cs[best].id) }
        }
        return out.mapValues { $0.sorted() }
    }

    /// GlobalSelect: one HDBSCAN over every client's fused points; per cluster, the sample nearest
    /// to its weighted centroid. Returns sample indices per client.
    static func globalSelect(_ clients: [(client: Int, points: [Double])], dims: Int, minClusterSize: Int) throws -> [Int: [Int]] {
        var owner: [(Int, Int)] = []
        var all: [Double] = []
        for (c, p) in clients {
            for i in 0..<(p.count / dims) { owner.append((c, i)) }
            all += p
        }
        guard owner.count >= 2 else { return [:] }
        let c = try intraClusters(points: all, dims: dims, minClusterSize: minClusterSize)
        var out: [Int: [Int]] = [:]
        for center in c.centroids {
            if let i = nearest(all, dims: dims, to: center) { out[owner[i].0, default: []].append(owner[i].1) }
        }
        return out.mapValues { Array(Set($0)).sorted() }
    }

    /// Random baseline: ceil(n * ratio) distinct samples.
    static func random(count n: Int, ratio: Double, using rng: inout SeededGenerator) -> [Int] {
        let k = min(n, Int((Double(n) * ratio).rounded(.up)))
        var pool = Array(0..<n)
        for i in 0..<k { pool.swapAt(i, Int.random(in: i..<n, using: &rng)) }
        return pool[0..<k].sorted()
    }

    /// Perplexity baseline: the ceil(n * ratio) samples of lowest perplexity.
    static func lowestPerplexity(_ p: [Double], ratio: Double) throws -> [Int] {
        let k = min(p.count, Int((Double(p.count) * ratio).rounded(.up)))
        return p.indices.sorted { p[$0] != p[$1] ? p[$0] < p[$1] : $0 < $1 }.prefix(k).sorted()
    }

    /// Coreset-Cent: k-means on last-layer features, per cluster max(1, floor(count*ratio))
    /// samples, then round-robin up to ceil(n*ratio).
    static func coresetCent(_ f: FeatureMatrix, ratio: Double, using rng: inout SeededGenerator) throws -> [Int] {
        throw ActorsError.module("Coreset-Cent needs the Selection module's k-means selector, not merged yet")
    }
}

/// The Coreset-Cent baseline: k-means (k-means++, seeded) on last-layer features; from each
/// cluster the max(1, floor(count * ratio)) samples nearest its centre; then, round-robin over
/// the clusters (next nearest of each), more samples until ceil(n * ratio) are chosen. If the
/// per-cluster minimum already exceeds ceil(n * ratio), all of those are kept.
public struct CoresetCentSelector: Sendable {
    public var ratio: Double
    public var clusters: Int
    public var restarts: Int

    public init(ratio: Double, clusters: Int, restarts: Int = 10) {
        self.ratio = ratio
        self.clusters = clusters
        self.restarts = restarts
    }

    /// Indices of the chosen rows of `features` (cluster by cluster, nearest first).
    public func select(features: Matrix, using rng: inout some RandomNumberGenerator) throws -> [Int] {
        guard ratio > 0, ratio <= 1 else { throw SelectionError.invalidParameter("ratio \(ratio) must be in (0, 1]") }
        let n = features.rows
        guard n > 0 else { return [] }
        let k = min(clusters, n)
        let km = try KMeans(clusters: k, restarts: restarts).fit(features, using: &rng)
        return Self.pick(features: features, labels: km.labels, centres: km.centres, ratio: ratio)
    }

    /// The picking rule on a given clustering (exposed for tests).
    static func pick(features: Matrix, labels: [Int], centres: Matrix, ratio: Double) -> [Int] {
        let n = features.rows, d = features.cols
        let target = Int((Double(n) * ratio).rounded(.up))
        var byCluster: [[Int]] = (0..<centres.rows).map { c in
            let members = (0..<n).filter { labels[$0] == c }
            func dist(_ i: Int) -> Double {
                var s = 0.0
                for j in 0..<d { let t = features[i, j] - centres[c, j]; s += t * t }
                return s
            }
            return members.map { ($0, dist($0)) }.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.map(\.0)
        }
        var chosen: [Int] = []
        var next = [Int](repeating: 0, count: byCluster.count)
        for c in byCluster.indices where !byCluster[c].isEmpty {
            let take = max(1, Int((Double(byCluster[c].count) * ratio).rounded(.down)))
            chosen.append(contentsOf: byCluster[c].prefix(take))
            next[c] = min(take, byCluster[c].count)
        }
        var progress = true
        while chosen.count < target && progress {
            progress = false
            for c in byCluster.indices where chosen.count < target && next[c] < byCluster[c].count {
                chosen.append(byCluster[c][next[c]])
                next[c] += 1
                progress = true
            }
        }
        byCluster.removeAll()
        return chosen
    }
}

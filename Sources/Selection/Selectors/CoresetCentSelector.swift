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

    /// Coreset-Cent as the paper defines it (centralised, privacy-violating upper reference): the
    /// rows of EVERY client's features stacked into one matrix (clients in ascending id order,
    /// each client's samples in its own order), one k-means over all of them (k = min(clusters,
    /// N)) and the rule above over all N rows. Returns the chosen sample indices of each client
    /// that has any, ascending. Running `select(features:)` per client is not this.
    public func selectAcrossClients(
        _ clients: [(client: Int, features: Matrix)],
        using rng: inout some RandomNumberGenerator
    ) throws -> [Int: [Int]] {
        let ordered = clients.sorted { $0.client < $1.client }
        for i in ordered.indices.dropFirst() where ordered[i].client == ordered[i - 1].client {
            throw SelectionError.invalidInput("client \(ordered[i].client) appears twice")
        }
        let nonEmpty = ordered.filter { $0.features.rows > 0 }
        guard let width = nonEmpty.first?.features.cols else { return [:] }
        var owner: [(client: Int, sample: Int)] = []
        var values: [Double] = []
        for (c, f) in nonEmpty {
            guard f.cols == width else {
                throw SelectionError.invalidInput(
                    "client \(c) has \(f.cols) feature columns, client \(nonEmpty[0].client) has \(width)")
            }
            values.append(contentsOf: f.values)
            for i in 0..<f.rows { owner.append((c, i)) }
        }
        let all = try Matrix(rows: owner.count, cols: width, values: values)
        var out: [Int: [Int]] = [:]
        for row in try select(features: all, using: &rng) {
            out[owner[row].client, default: []].append(owner[row].sample)
        }
        return out.mapValues { $0.sorted() }
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

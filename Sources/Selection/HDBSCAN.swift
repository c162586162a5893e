/// HDBSCAN clustering as the Python `hdbscan` 0.8.x library computes it with the euclidean metric
/// and the exact (generic / Prim) minimum spanning tree: core distances, mutual reachability,
/// single-linkage tree, condensed tree, excess-of-mass selection, labels, membership
/// probabilities and probability-weighted centroids. Deterministic.
public struct HDBSCAN: Sendable {
    /// The smallest group that counts as a cluster (>= 2).
    public var minClusterSize: Int
    /// Neighbours that make a point a core point; nil means `minClusterSize` (the library's default).
    public var minSamples: Int?
    /// Whether one cluster covering everything may be returned.
    public var allowSingleCluster: Bool

    public init(minClusterSize: Int, minSamples: Int? = nil, allowSingleCluster: Bool = false) {
        self.minClusterSize = minClusterSize
        self.minSamples = minSamples
        self.allowSingleCluster = allowSingleCluster
    }

    /// Clusters the rows of `points`. Fewer than two points give no cluster (all noise).
    public func fit(_ points: Matrix) throws -> HDBSCANResult {
        guard minClusterSize >= 2 else {
            throw SelectionError.invalidParameter("HDBSCAN min_cluster_size must be at least 2, got \(minClusterSize)")
        }
        if let k = minSamples, k < 1 {
            throw SelectionError.invalidParameter("HDBSCAN min_samples must be at least 1, got \(k)")
        }
        try points.checkFinite(name: "HDBSCAN input")
        let n = points.rows
        guard n >= 2 else {
            return HDBSCANResult(labels: [Int](repeating: -1, count: n),
                                 probabilities: [Double](repeating: 0, count: n),
                                 centroids: [], dimension: points.cols)
        }
        var k = min(n - 1, minSamples ?? minClusterSize)
        if k == 0 { k = 1 }
        let core = HDBSCANGraph.coreDistances(points, k: k)
        var edges = HDBSCANGraph.primMST(points, core: core)
        // The library sorts the MST edges by weight (np.argsort); ties keep Prim's order here.
        edges = edges.enumerated().sorted { a, b in
            a.element.weight != b.element.weight ? a.element.weight < b.element.weight : a.offset < b.offset
        }.map(\.element)
        let linkage = SingleLinkageTree(edges: edges, pointCount: n)
        let condensed = CondensedTree(linkage: linkage, minClusterSize: minClusterSize)
        let (labels, probabilities) = condensed.selectClusters(allowSingleCluster: allowSingleCluster)
        let clusterCount = (labels.max() ?? -1) + 1
        let centroids = HDBSCANResult.weightedCentroids(points, labels: labels, probabilities: probabilities,
                                                        clusterCount: clusterCount)
        return HDBSCANResult(labels: labels, probabilities: probabilities, centroids: centroids,
                             dimension: points.cols)
    }
}

/// What HDBSCAN found: a label per point (-1 = noise, else 0..<clusterCount), a membership
/// probability per point, and each cluster's probability-weighted centroid.
public struct HDBSCANResult: Sendable, Equatable {
    public let labels: [Int]
    public let probabilities: [Double]
    /// `centroids[c]` is cluster c's weighted centroid (`weighted_cluster_centroid(c)`).
    public let centroids: [[Double]]
    public let dimension: Int

    public var clusterCount: Int { centroids.count }

    /// Indices of the members of cluster `c`.
    public func members(of c: Int) -> [Int] {
        labels.indices.filter { labels[$0] == c }
    }

    /// The library's `weighted_cluster_centroid`: the probability-weighted mean of the members.
    /// If every member has probability 0 (possible only with duplicate points), the plain mean.
    static func weightedCentroids(_ points: Matrix, labels: [Int], probabilities: [Double],
                                  clusterCount: Int) -> [[Double]] {
        let d = points.cols
        var sums = [[Double]](repeating: [Double](repeating: 0, count: d), count: clusterCount)
        var plain = sums
        var weights = [Double](repeating: 0, count: clusterCount)
        var counts = [Int](repeating: 0, count: clusterCount)
        for i in 0..<points.rows where labels[i] >= 0 {
            let c = labels[i]
            let w = probabilities[i]
            for j in 0..<d {
                sums[c][j] += w * points[i, j]
                plain[c][j] += points[i, j]
            }
            weights[c] += w
            counts[c] += 1
        }
        return (0..<clusterCount).map { c in
            if weights[c] > 0 { return sums[c].map { $0 / weights[c] } }
            return plain[c].map { $0 / Double(max(counts[c], 1)) }
        }
    }
}

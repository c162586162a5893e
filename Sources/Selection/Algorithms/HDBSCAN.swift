/// HDBSCAN clustering as the Python `hdbscan` 0.8.x library computes it with its default
/// arguments and the euclidean metric: core distances, the spanning tree of the mutual
/// reachability graph by the library's default algorithm, single-linkage tree, condensed tree,
/// excess-of-mass selection, labels, membership probabilities and probability-weighted centroids.
/// Deterministic. The library sorts the spanning tree's edges with numpy's unstable argsort, whose
/// order of equal weights depends on the CPU (see `TieOrder`).
public struct HDBSCAN: Sendable {
    /// How edges of equal weight are ordered when the spanning tree is sorted (the library's
    /// `np.argsort`, which is not stable). The order changes the single-linkage tree and so can
    /// change labels.
    public enum TieOrder: Sendable, Equatable {
        /// numpy 2.x on an x86 CPU with AVX-512 (x86-simd-sort), as on this project's machines.
        /// numpy's AVX2 path orders up to 256 edges the same way and larger sets differently;
        /// without AVX2 numpy's introsort orders them differently again.
        case numpyAVX512
        /// Equal weights keep the order in which the spanning tree produced them.
        case stable
    }

    /// How the spanning tree of the mutual reachability graph is built.
    public enum Algorithm: Sendable, Equatable {
        /// The library's `algorithm='best'`: Boruvka up to 60 dimensions, Prim above.
        case best
        /// Dual-tree Boruvka over the KD-tree (`boruvka_kdtree`, approximate, as the library).
        case boruvkaKDTree
        /// Prim's algorithm from point 0 (`prims_kdtree`; the library's `generic` visits the same
        /// way but on scikit-learn's pairwise distances, which may round differently).
        case prim
    }

    /// The smallest group that counts as a cluster (>= 2).
    public var minClusterSize: Int
    /// Neighbours that make a point a core point; nil means `minClusterSize` (the library's default).
    public var minSamples: Int?
    /// Whether one cluster covering everything may be returned.
    public var allowSingleCluster: Bool
    /// The spanning-tree algorithm; `.best` is the library's default.
    public var algorithm: Algorithm
    /// The order of equal edge weights in the sort; `.numpyAVX512` reproduces the library as it
    /// runs on AVX-512 machines.
    public var tieOrder: TieOrder

    public init(
        minClusterSize: Int, minSamples: Int? = nil, allowSingleCluster: Bool = false,
        algorithm: Algorithm = .best, tieOrder: TieOrder = .numpyAVX512
    ) {
        self.minClusterSize = minClusterSize
        self.minSamples = minSamples
        self.allowSingleCluster = allowSingleCluster
        self.algorithm = algorithm
        self.tieOrder = tieOrder
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
            return HDBSCANResult(
                labels: [Int](repeating: -1, count: n),
                probabilities: [Double](repeating: 0, count: n),
                centroids: [], dimension: points.cols)
        }
        var k = min(n - 1, minSamples ?? minClusterSize)
        if k == 0 { k = 1 }
        let edges = try Self.sortedSpanningTree(points, minSamples: k, algorithm: algorithm, tieOrder: tieOrder)
        let linkage = SingleLinkageTree(edges: edges, pointCount: n)
        let condensed = CondensedTree(linkage: linkage, minClusterSize: minClusterSize)
        let (labels, probabilities) = condensed.selectClusters(allowSingleCluster: allowSingleCluster)
        let clusterCount = (labels.max() ?? -1) + 1
        let centroids = HDBSCANResult.weightedCentroids(
            points, labels: labels, probabilities: probabilities,
            clusterCount: clusterCount)
        return HDBSCANResult(
            labels: labels, probabilities: probabilities, centroids: centroids,
            dimension: points.cols)
    }

    /// The spanning tree's edges sorted by weight, as the library feeds them to `label`. The
    /// library sorts with `np.argsort` (numpy's default, unstable quicksort), which on x86 runs
    /// x86-simd-sort's AVX-512 or AVX2 kernels where the CPU has them and numpy's introsort
    /// otherwise, and these leave equal weights in different orders; `tieOrder` picks one.
    /// Where no two edges weigh the same, every choice gives the library's order.
    static func sortedSpanningTree(
        _ points: Matrix, minSamples k: Int, algorithm: Algorithm,
        tieOrder: TieOrder = .numpyAVX512
    ) throws -> [HDBSCANGraph.Edge] {
        let useBoruvka: Bool
        switch algorithm {
        case .best: useBoruvka = points.cols <= 60
        case .boruvkaKDTree: useBoruvka = true
        case .prim: useBoruvka = false
        }
        let edges: [HDBSCANGraph.Edge]
        if useBoruvka {
            edges = try BoruvkaMST.spanningTree(points, minSamples: k)
        } else {
            edges = HDBSCANGraph.primMST(points, core: HDBSCANGraph.coreDistances(points, k: k))
        }
        switch tieOrder {
        case .numpyAVX512:
            return NumpyArgsort.argsort(edges.map(\.weight)).map { edges[$0] }
        case .stable:
            return edges.enumerated().sorted { a, b in
                a.element.weight != b.element.weight ? a.element.weight < b.element.weight : a.offset < b.offset
            }.map(\.element)
        }
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
    static func weightedCentroids(
        _ points: Matrix, labels: [Int], probabilities: [Double],
        clusterCount: Int
    ) -> [[Double]] {
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

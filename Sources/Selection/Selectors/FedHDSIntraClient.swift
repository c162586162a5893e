/// FedHDS's client step (ALGORITHM.md steps 3-4): fuse the client's feature vectors (t-SNE by default),
/// cluster them with HDBSCAN (min_samples = min_cluster_size, EOM, no single cluster) and keep
/// the weighted centroids. Fewer than 2 samples, or no cluster found, give a clustering with no
/// centroids: the client sends nothing.
public struct FedHDSIntraClient: Sendable {
    public var fusion: Fusion
    /// 2 for Dolly-15K, 5 for Natural Instructions.
    public var minClusterSize: Int
    public var minSamples: Int?

    public init(minClusterSize: Int, fusion: Fusion = .fedHDS, minSamples: Int? = nil) {
        self.minClusterSize = minClusterSize
        self.fusion = fusion
        self.minSamples = minSamples
    }

    /// `features`: one row per local sample (e.g. (L+1)*d fused hidden states). `fuse`, then
    /// `cluster`.
    public func run(features: Matrix, using rng: inout some RandomNumberGenerator) throws -> ClientClustering {
        guard features.rows >= 2 else {
            try features.checkFinite(name: "client features")
            return ClientClustering(
                fused: Matrix(zeros: features.rows, 2), labels: [Int](repeating: -1, count: features.rows),
                probabilities: [Double](repeating: 0, count: features.rows), centroids: [],
                klDivergence: nil)
        }
        let (points, kl) = try fuse(features, using: &rng)
        return try cluster(points, klDivergence: kl)
    }

    /// Step 3: the fused points of at least 2 samples' features and, for t-SNE, its KL divergence.
    public func fuse(_ features: Matrix, using rng: inout some RandomNumberGenerator) throws
        -> (points: Matrix, klDivergence: Double?)
    {
        try features.checkFinite(name: "client features")
        return try fusion.apply(features, using: &rng)
    }

    /// Step 4: HDBSCAN over the fused points, and the weighted centroids of its clusters.
    public func cluster(_ points: Matrix, klDivergence: Double?) throws -> ClientClustering {
        let h = try HDBSCAN(minClusterSize: minClusterSize, minSamples: minSamples).fit(points)
        return ClientClustering(
            fused: points, labels: h.labels, probabilities: h.probabilities,
            centroids: h.centroids, klDivergence: klDivergence)
    }
}

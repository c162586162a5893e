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

    /// `features`: one row per local sample (e.g. (L+1)*d fused hidden states).
    public func run(features: Matrix, using rng: inout some RandomNumberGenerator) throws -> ClientClustering {
        try features.checkFinite(name: "client features")
        guard features.rows >= 2 else {
            return ClientClustering(fused: Matrix(zeros: features.rows, 2), labels: [Int](repeating: -1, count: features.rows),
                                    probabilities: [Double](repeating: 0, count: features.rows), centroids: [],
                                    klDivergence: nil)
        }
        let (points, kl) = try fusion.apply(features, using: &rng)
        let h = try HDBSCAN(minClusterSize: minClusterSize, minSamples: minSamples).fit(points)
        return ClientClustering(fused: points, labels: h.labels, probabilities: h.probabilities,
                                centroids: h.centroids, klDivergence: kl)
    }
}

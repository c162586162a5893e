/// How a client reduces its (L+1)*d feature vectors to the low-dimensional space it clusters in:
/// t-SNE (FedHDS), PCA or Kernel PCA (the ablations).
public enum Fusion: Sendable {
    case tsne(TSNE)
    case pca(components: Int)
    case kernelPCA(KernelPCA)

    /// FedHDS's default: 2-D Barnes-Hut t-SNE with scikit-learn's settings.
    public static let fedHDS = Fusion.tsne(TSNE())

    /// The fused rows and, for t-SNE, the final KL divergence.
    public func apply(_ features: Matrix, using rng: inout some RandomNumberGenerator) throws
        -> (points: Matrix, klDivergence: Double?)
    {
        switch self {
        case let .tsne(t):
            let r = try t.fit(features, using: &rng)
            return (r.embedding, r.klDivergence)
        case let .pca(k):
            return (try PCA(components: k).fitTransform(features).scores, nil)
        case let .kernelPCA(kp):
            return (try kp.fitTransform(features), nil)
        }
    }
}

/// Hyper-parameters of LoRA adapters (the paper: rank 8, alpha 16, dropout 0.05 on all seven
/// LLaMA projections).
public struct LoRAConfig: Sendable, Codable, Equatable {
    public var rank: Int
    public var alpha: Float
    public var dropout: Float
    public var targets: [Projection]

    public init(rank: Int = 8, alpha: Float = 16, dropout: Float = 0.05, targets: [Projection]) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = targets
    }

    /// The paper's setting for an architecture: r 8, alpha 16, dropout 0.05, every projection.
    public static func paper(for architecture: Architecture) -> LoRAConfig {
        LoRAConfig(targets: Projection.all(for: architecture))
    }

    /// `alpha / rank`: the factor of the low-rank update `W + scale * B A`.
    public var scale: Float { alpha / Float(rank) }
}

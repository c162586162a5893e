/// A linear layer `y = x W^T + b`: weight `[out, in]`, optional bias `[out]`.
public struct Linear: Sendable, Equatable {
    public var weight: Tensor
    public var bias: Tensor?

    public init(weight: Tensor, bias: Tensor? = nil) {
        self.weight = weight
        self.bias = bias
    }

    public var inFeatures: Int { weight.columns }
    public var outFeatures: Int { weight.rows }
}

/// RMSNorm (weight only) or LayerNorm (weight and bias), over `[d]`.
public struct Norm: Sendable, Equatable {
    public var weight: Tensor
    public var bias: Tensor?

    public init(weight: Tensor, bias: Tensor? = nil) {
        self.weight = weight
        self.bias = bias
    }
}

/// One transformer block.
///
/// LLaMA: `projections` holds q `[H*hd, d]`, k and v `[Hkv*hd, d]`, o `[d, H*hd]`, gate and up
/// `[ff, d]`, down `[d, ff]`; Q and K rows in Hugging Face order (GGUF's permutation undone at
/// load). GPT-2: `attn.c_attn` `[3d, d]` (q, k, v stacked), `attn.c_proj` `[d, d]`, `mlp.c_fc`
/// `[ff, d]`, `mlp.c_proj` `[d, ff]`, all with biases, stored `[out, in]` (Conv1D transposed at load).
public struct LayerWeights: Sendable, Equatable {
    public var attentionNorm: Norm
    public var mlpNorm: Norm
    public var projections: [Projection: Linear]

    public init(attentionNorm: Norm, mlpNorm: Norm, projections: [Projection: Linear]) {
        self.attentionNorm = attentionNorm
        self.mlpNorm = mlpNorm
        self.projections = projections
    }
}

/// All frozen weights of a decoder. Immutable once loaded and shared by every client of a
/// process (arrays are copy-on-write, so sharing costs nothing).
public struct ModelWeights: Sendable, Equatable {
    public var config: ModelConfig
    /// Token embedding `[V, d]`.
    public var tokenEmbedding: Tensor
    /// Learned position embedding `[contextLength, d]` (GPT-2 only).
    public var positionEmbedding: Tensor?
    public var layers: [LayerWeights]
    /// Final RMSNorm / LayerNorm before the LM head.
    public var finalNorm: Norm
    /// LM head `[V, d]`; nil when tied to `tokenEmbedding`.
    public var lmHead: Tensor?

    public init(
        config: ModelConfig, tokenEmbedding: Tensor, positionEmbedding: Tensor?,
        layers: [LayerWeights], finalNorm: Norm, lmHead: Tensor?
    ) {
        self.config = config
        self.tokenEmbedding = tokenEmbedding
        self.positionEmbedding = positionEmbedding
        self.layers = layers
        self.finalNorm = finalNorm
        self.lmHead = lmHead
    }

    /// The output projection actually used: the LM head or the tied embedding.
    public var outputMatrix: Tensor { lmHead ?? tokenEmbedding }
}

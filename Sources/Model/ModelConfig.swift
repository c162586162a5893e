/// The decoder families the engine runs.
public enum Architecture: String, Sendable, Codable, Equatable, CaseIterable {
    /// RMSNorm, rotary embeddings, grouped-query attention, SwiGLU MLP (SmolLM2, OpenLLaMA, ...).
    case llama
    /// LayerNorm, learned positions, GELU MLP, fused QKV (the FedHDS-Turbo proxy).
    case gpt2
}

/// Shape and numerics of a decoder, read from GGUF metadata or `config.json`.
public struct ModelConfig: Sendable, Codable, Equatable {
    public var architecture: Architecture
    public var vocabSize: Int
    /// d: width of the residual stream.
    public var hiddenSize: Int
    /// FFN width (LLaMA: gate/up rows; GPT-2: c_fc rows, usually 4d).
    public var intermediateSize: Int
    /// L: number of transformer blocks. Hidden-state slots are L + 1.
    public var layerCount: Int
    public var headCount: Int
    /// Key/value heads (grouped-query attention); equals `headCount` without GQA.
    public var kvHeadCount: Int
    public var contextLength: Int
    /// Rotary base (LLaMA only).
    public var ropeTheta: Float
    /// Epsilon of RMSNorm / LayerNorm.
    public var normEpsilon: Float
    /// Output projection shares the token embedding matrix.
    public var tiedEmbeddings: Bool
    public var bosTokenId: Int?
    public var eosTokenId: Int?

    public init(
        architecture: Architecture, vocabSize: Int, hiddenSize: Int, intermediateSize: Int,
        layerCount: Int, headCount: Int, kvHeadCount: Int, contextLength: Int,
        ropeTheta: Float = 10000, normEpsilon: Float = 1e-5, tiedEmbeddings: Bool,
        bosTokenId: Int? = nil, eosTokenId: Int? = nil
    ) {
        self.architecture = architecture
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.contextLength = contextLength
        self.ropeTheta = ropeTheta
        self.normEpsilon = normEpsilon
        self.tiedEmbeddings = tiedEmbeddings
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
    }

    public var headDim: Int { hiddenSize / headCount }
    /// Number of hidden-state slots in the `output_hidden_states` convention: embeddings + L.
    public var hiddenStateSlots: Int { layerCount + 1 }
    /// Length of one fused feature vector: (L + 1) * d.
    public var featureWidth: Int { hiddenStateSlots * hiddenSize }
}

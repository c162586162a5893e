/// Where one checkpoint format keeps an architecture's tensors: names without the `.weight` /
/// `.bias` suffix (biases are read where `ArchitectureDefinition.biases` says so). The loaders
/// (`ModelWeights(gguf:)`, `ModelWeights(huggingFace:config:source:)`) read these and nothing else
/// about the architecture.
struct CheckpointNames: Sendable {
    /// The prefix of block i's tensors (`blk.3.`).
    let block: @Sendable (Int) -> String
    /// Every projection's name after the block prefix.
    let projections: [Projection: String]
    let attentionNorm: String
    let mlpNorm: String
    let tokenEmbedding: String
    /// The learned position table (learned positions only).
    let positionEmbedding: String?
    let finalNorm: String
    /// The LM head, absent when tied to the token embedding.
    let lmHead: String
}

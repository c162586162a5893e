/// One decoder architecture's transformer, stated once: what each block is made of and the shapes of
/// its weights. Both runners drive it: `Decoder` (KV cache: generation, features, the layer proxy,
/// perplexity, batched decoding) and `TransformerPass` (tape: LoRA forward and backward). Neither
/// runner asks which architecture it runs; each reads this definition.
///
/// Every block is the pre-norm residual pair
///
///     a   = norm(x)                                   attentionNorm, [T, d]
///     qkv = a · [W_p]^T for p in attentionInputs      one fused row [T, qHeads*hd + 2*kvHeads*hd]
///     q,k = rope(q, k)                                only with `positions == .rotary`
///     x  += attend(q, k, v) · W_attentionOutput^T      causal, grouped-query
///     m   = norm(x)                                   mlpNorm
///     f   = activation(m · [W_p]^T for p in mlpInputs) [T, ff]
///     x  += f · W_mlpOutput^T
///
/// after `x = embed(tokens) (+ learned positions)`, and the head is `logits = norm(x) · E^T`
/// (E the output matrix, the token embedding when tied). A new architecture is a new file with its
/// definition and one line in `Architecture.definition` (docs/adding-a-model.md).
struct ArchitectureDefinition: Sendable {
    enum Norm: Sendable, Equatable {
        /// `x * rsqrt(mean(x^2) + eps) * w`.
        case rms
        /// `(x - mean) * rsqrt(var + eps) * w + b` (biased variance).
        case layer
    }

    enum Positions: Sendable, Equatable {
        /// Rotary embeddings on q and k ("rotate half" layout), base `ModelConfig.ropeTheta`.
        case rotary
        /// A learned `[contextLength, d]` table added to the token embeddings.
        case learned
    }

    enum Activation: Sendable, Equatable {
        /// `silu(gate) * up` of the two MLP inputs (gate, up).
        case swiGLU
        /// `gelu_tanh(fc)` of the one MLP input.
        case geluTanh
    }

    let norm: Norm
    let positions: Positions
    /// The projections that write the attention's `q | k | v` row, in column order: `[q, k, v]`, or
    /// one fused projection.
    let attentionInputs: [Projection]
    let attentionOutput: Projection
    /// The projections of the MLP's input, in the order `activation` takes them.
    let mlpInputs: [Projection]
    let activation: Activation
    let mlpOutput: Projection
    /// Whether projections and norms carry biases.
    let biases: Bool
    /// Every projection in the canonical order of flat parameter vectors (LoRA adapters).
    let projections: [Projection]
    /// `(out, in)` of every projection.
    let shapes: @Sendable (ModelConfig) -> [Projection: (Int, Int)]
    /// PEFT's `fan_in_fan_out` for this architecture's linear layers (GPT-2's Conv1D stores `W^T`).
    let peftFanInFanOut: Bool
    /// The Hugging Face module path of a projection in block `layer` (PEFT prefixes `base_model.model.`).
    let peftModule: @Sendable (_ layer: Int, Projection) -> String
    /// The GGUF metadata key (after `<arch>.`) of the norm epsilon.
    let ggufNormEpsilonKey: String
    /// The tensors' names in llama.cpp's GGUF files and in Hugging Face checkpoints.
    let ggufNames: CheckpointNames
    let huggingFaceNames: CheckpointNames
    /// The projections whose rows llama.cpp's converter interleaves per head for its rotary kernel
    /// (the loader undoes it); the Hugging Face weights of `peftFanInFanOut` architectures are
    /// stored `W^T` (Conv1D) and transposed at load.
    let ggufInterleavedRows: [Projection]

    /// Each attention input with its first column in the fused `q | k | v` row.
    func attentionColumns(_ c: ModelConfig) -> [(projection: Projection, offset: Int)] {
        let shapes = shapes(c)
        var offset = 0
        return attentionInputs.map { p in
            defer { offset += shapes[p]!.0 }
            return (p, offset)
        }
    }
}

extension Architecture {
    /// The registry: each architecture's definition (one line per architecture).
    var definition: ArchitectureDefinition {
        switch self {
        case .llama: return Llama.definition
        case .gpt2: return GPT2.definition
        }
    }
}

extension ModelConfig {
    /// The definition of this model's architecture.
    var definition: ArchitectureDefinition { architecture.definition }
}

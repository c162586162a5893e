/// The LLaMA family (SmolLM2, OpenLLaMA, TinyLlama, ...):
///
///     x    = E[tokens]                                        [T, d]
///     a    = rmsnorm(x) · w1
///     q    = a Wq^T, k = a Wk^T, v = a Wv^T                    [T, H*hd], [T, KV*hd], [T, KV*hd]
///     q, k = rope(q, k; theta)                                 pairs (i, i + hd/2) of each head
///     x   += attend(q, k, v) Wo^T                              causal; head h reads KV head h / (H/KV)
///     m    = rmsnorm(x) · w2
///     x   += (silu(m Wgate^T) * (m Wup^T)) Wdown^T             [T, ff] inside
///     logits = rmsnorm(x) · wf · E_out^T                        E_out = E when tied
///
/// No biases. The GGUF loader returns Q and K rows to Hugging Face's order (`ggufInterleavedRows`).
enum Llama {
    static let definition = ArchitectureDefinition(
        norm: .rms, positions: .rotary,
        attentionInputs: [.q, .k, .v], attentionOutput: .o,
        mlpInputs: [.gate, .up], activation: .swiGLU, mlpOutput: .down,
        biases: false,
        projections: [.q, .k, .v, .o, .gate, .up, .down],
        shapes: { m in
            let d = m.hiddenSize, hd = m.headDim, ff = m.intermediateSize
            return [
                .q: (m.headCount * hd, d), .k: (m.kvHeadCount * hd, d), .v: (m.kvHeadCount * hd, d),
                .o: (d, m.headCount * hd), .gate: (ff, d), .up: (ff, d), .down: (d, ff)
            ]
        },
        peftFanInFanOut: false,
        peftModule: { layer, p in
            "model.layers.\(layer).\([.q, .k, .v, .o].contains(p) ? "self_attn" : "mlp").\(p.rawValue)"
        },
        ggufNormEpsilonKey: "attention.layer_norm_rms_epsilon",
        ggufNames: CheckpointNames(
            block: { "blk.\($0)." },
            projections: [
                .q: "attn_q", .k: "attn_k", .v: "attn_v", .o: "attn_output",
                .gate: "ffn_gate", .up: "ffn_up", .down: "ffn_down"
            ],
            attentionNorm: "attn_norm", mlpNorm: "ffn_norm", tokenEmbedding: "token_embd", positionEmbedding: nil,
            finalNorm: "output_norm", lmHead: "output"),
        huggingFaceNames: CheckpointNames(
            block: { "model.layers.\($0)." },
            projections: [
                .q: "self_attn.q_proj", .k: "self_attn.k_proj", .v: "self_attn.v_proj",
                .o: "self_attn.o_proj", .gate: "mlp.gate_proj", .up: "mlp.up_proj", .down: "mlp.down_proj"
            ],
            attentionNorm: "input_layernorm", mlpNorm: "post_attention_layernorm",
            tokenEmbedding: "model.embed_tokens", positionEmbedding: nil, finalNorm: "model.norm", lmHead: "lm_head"),
        ggufInterleavedRows: [.q, .k])
}

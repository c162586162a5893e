/// GPT-2:
///
///     x    = E[tokens] + P[positions]                          [T, d], P learned [context, d]
///     a    = layernorm(x) · w1 + b1
///     qkv  = a Wattn^T + battn                                 [T, 3d], one fused c_attn
///     x   += attend(q, k, v) Wproj^T + bproj                   causal, H heads (no grouping)
///     m    = layernorm(x) · w2 + b2
///     x   += gelu_tanh(m Wfc^T + bfc) Wmlp^T + bmlp            [T, ff] inside
///     logits = layernorm(x) · E^T                               tied
///
/// Every projection and norm has a bias. PEFT names the LoRA targets `attn.c_attn`, ... and
/// stores them `fan_in_fan_out` (Conv1D keeps `W^T`).
enum GPT2 {
    static let definition = ArchitectureDefinition(
        norm: .layer, positions: .learned,
        attentionInputs: [.cAttn], attentionOutput: .attnProj,
        mlpInputs: [.fc], activation: .geluTanh, mlpOutput: .mlpProj,
        biases: true,
        projections: [.cAttn, .attnProj, .fc, .mlpProj],
        shapes: { m in
            let d = m.hiddenSize, ff = m.intermediateSize
            return [.cAttn: (3 * d, d), .attnProj: (d, d), .fc: (ff, d), .mlpProj: (d, ff)]
        },
        peftFanInFanOut: true,
        peftModule: { layer, p in "transformer.h.\(layer).\(p.rawValue)" },
        ggufNormEpsilonKey: "attention.layer_norm_epsilon",
        ggufNames: CheckpointNames(
            block: { "blk.\($0)." },
            projections: [.cAttn: "attn_qkv", .attnProj: "attn_output", .fc: "ffn_up", .mlpProj: "ffn_down"],
            attentionNorm: "attn_norm", mlpNorm: "ffn_norm", tokenEmbedding: "token_embd",
            positionEmbedding: "position_embd", finalNorm: "output_norm", lmHead: "output"),
        huggingFaceNames: CheckpointNames(
            block: { "h.\($0)." },
            projections: [.cAttn: "attn.c_attn", .attnProj: "attn.c_proj", .fc: "mlp.c_fc", .mlpProj: "mlp.c_proj"],
            attentionNorm: "ln_1", mlpNorm: "ln_2", tokenEmbedding: "wte", positionEmbedding: "wpe", finalNorm: "ln_f",
            lmHead: "lm_head"),
        ggufInterleavedRows: [])
}

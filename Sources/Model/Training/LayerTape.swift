/// What one transformer block's forward keeps for its backward (n = batch * seqLen rows):
///
/// | buffer | shape | needed by |
/// | --- | --- | --- |
/// | xIn | [n, d] | attention-norm backward |
/// | mean1, rstd1 | [n] | attention-norm backward (mean: LayerNorm only) |
/// | a | [n, d] | q/k/v (c_attn) LoRA backward (input of the A gradient) |
/// | qkv | [n, qkvWidth] | attention backward (Q and K after rotary) |
/// | lse | [batch, heads, seqLen] | attention backward (recomputes probabilities) |
/// | o | [n, heads*hd] | o_proj (c_proj) LoRA backward |
/// | xMid | [n, d] | MLP-norm backward |
/// | mean2, rstd2 | [n] | MLP-norm backward |
/// | m | [n, d] | gate/up (c_fc) LoRA backward |
/// | f1 | [n, ff] | gate (LLaMA) or c_fc output (GPT-2): SwiGLU / GELU backward |
/// | f2 | [n, ff] | up (LLaMA only): SwiGLU backward |
/// | act | [n, ff] | down (mlp.c_proj) LoRA backward |
/// | u[p] | [n, r] | LoRA B gradient of projection p |
///
/// The buffers are not zeroed: the forward writes every element before backward reads it.
final class LayerTape {
    let xIn, mean1, rstd1, a, qkv, lse, o, xMid, mean2, rstd2, m, f1, f2, act: TrainingBuffer
    var u: [Projection: TrainingBuffer] = [:]

    init(config c: ModelConfig, batch: Int, seqLen: Int, loraProjections: [Projection], rank: Int) {
        let n = batch * seqLen, d = c.hiddenSize, ff = c.intermediateSize
        let arch = c.definition, means = arch.norm == .layer ? n : 0
        let qkvWidth = (c.headCount + 2 * c.kvHeadCount) * c.headDim
        xIn = TrainingBuffer(uninitialized: n * d)
        mean1 = TrainingBuffer(uninitialized: means)
        rstd1 = TrainingBuffer(uninitialized: n)
        a = TrainingBuffer(uninitialized: n * d)
        qkv = TrainingBuffer(uninitialized: n * qkvWidth)
        lse = TrainingBuffer(uninitialized: batch * c.headCount * seqLen)
        o = TrainingBuffer(uninitialized: n * c.headCount * c.headDim)
        xMid = TrainingBuffer(uninitialized: n * d)
        mean2 = TrainingBuffer(uninitialized: means)
        rstd2 = TrainingBuffer(uninitialized: n)
        m = TrainingBuffer(uninitialized: n * d)
        f1 = TrainingBuffer(uninitialized: n * ff)
        f2 = TrainingBuffer(uninitialized: arch.mlpInputs.count > 1 ? n * ff : 0)
        act = TrainingBuffer(uninitialized: n * ff)
        for p in loraProjections { u[p] = TrainingBuffer(uninitialized: n * rank) }
    }
}

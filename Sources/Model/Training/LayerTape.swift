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
/// `activations` hands them to `TransformerBlock` (q | k | v fused in one row of `qkv`).
final class LayerTape {
    let xIn, mean1, rstd1, a, qkv, lse, o, xMid, mean2, rstd2, m, f1, f2, act: TrainingBuffer
    var u: [Projection: TrainingBuffer] = [:]
    /// Where the block writes its activations: these buffers.
    let activations: BlockActivations

    init(config c: ModelConfig, batch: Int, seqLen: Int, loraProjections: [Projection], rank: Int) {
        let n = batch * seqLen, d = c.hiddenSize, ff = c.intermediateSize
        let arch = c.definition, means = arch.norm == .layer ? n : 0
        let qkvWidth = (c.headCount + 2 * c.kvHeadCount) * c.headDim
        let buffer = { (count: Int) in TrainingBuffer(uninitialized: count) }
        let (xIn, mean1, rstd1, a) = (buffer(n * d), buffer(means), buffer(n), buffer(n * d))
        let (qkv, o) = (buffer(n * qkvWidth), buffer(n * c.headCount * c.headDim))
        let (xMid, mean2, rstd2, m) = (buffer(n * d), buffer(means), buffer(n), buffer(n * d))
        let (f1, f2, act) = (buffer(n * ff), buffer(arch.mlpInputs.count > 1 ? n * ff : 0), buffer(n * ff))
        (self.xIn, self.mean1, self.rstd1, self.a, self.qkv, self.o) = (xIn, mean1, rstd1, a, qkv, o)
        (self.xMid, self.mean2, self.rstd2, self.m, self.f1, self.f2, self.act) = (xMid, mean2, rstd2, m, f1, f2, act)
        lse = buffer(batch * c.headCount * seqLen)
        activations = BlockActivations(
            input: xIn.p, middle: xMid.p, attentionNormed: a.p,
            attentionStatistics: NormStatistics(mean: means > 0 ? mean1.p : nil, rstd: rstd1.p),
            attentionInputs: arch.attentionColumns(c).map { Rows(pointer: qkv.p + $0.offset, stride: qkvWidth) },
            attention: o.p, mlpNormed: m.p,
            mlpStatistics: NormStatistics(mean: means > 0 ? mean2.p : nil, rstd: rstd2.p),
            mlpInputs: arch.mlpInputs.indices.map { [f1, f2][$0].p }, activation: act.p)
        for p in loraProjections { u[p] = buffer(n * rank) }
    }
}

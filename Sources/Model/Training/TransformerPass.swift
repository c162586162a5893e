/// One forward pass of the decoder with LoRA over a padded batch, keeping a `LayerTape` per
/// block, then (optionally) the backward pass that adds the adapter gradient into `gradient`.
///
/// Only the adapter gets gradient buffers; frozen weights are read through `WeightPointers`. Two
/// properties open the runner to other trainable parameters without another forward (the
/// baselines of #18, docs/adding-a-model.md): `inputEmbeddings` with `inputGradient` (a soft
/// prompt) and `weightGradients` (full-weight training).
struct TransformerPass {
    let config: ModelConfig
    let weights: WeightPointers
    let lora: LoRAConfig
    /// LoRA views per layer and projection.
    let views: [[Projection: LoRAView]]
    /// Adapter parameters, and the gradient vector of the same layout (nil: no adapter gradient; no
    /// backward unless a seam below wants one).
    let parameters: UnsafePointer<Float>
    let gradient: UnsafeMutablePointer<Float>?
    /// Dropout probability on LoRA inputs (0 in evaluation) and one mask seed per layer and projection.
    let dropout: Float
    let seeds: [[Projection: UInt64]]
    let batch: TrainingBatch
    /// bfloat16 precision: the frozen matrices packed for AMX, and scratch of
    /// `bf16ScratchCount(config:rows:)` for the converted rows (nil: float32 products).
    var packed: BF16TrainingWeights? = nil
    var bf16Scratch: UnsafeMutablePointer<UInt16>? = nil
    /// The kernels of those products.
    var bf16Kernel: BF16Kernel = BF16Kernel.best ?? .portable
    /// Attention heads spread over the cores (`ModelRuntime.parallelHeads`: OpenBLAS runs
    /// single-threaded), else OpenBLAS's own threads parallelise each head's products.
    var parallelHeads = false
    /// The input-embeddings seam: rows `[n, d]` that the first block reads instead of the batch's
    /// token (and position) embeddings, e.g. a soft prompt's rows in the positions of placeholder
    /// tokens and `E[token]` elsewhere. Nil: the embeddings of `batch.tokens`.
    var inputEmbeddings: UnsafePointer<Float>? = nil
    /// When set, the backward runs through the first block too and adds d(loss / targetCount) /
    /// d(first block's input) `[n, d]` here (a soft prompt's gradient is its rows of it).
    var inputGradient: UnsafeMutablePointer<Float>? = nil
    /// Trainable full weights: per layer, the projections whose frozen weight also gets a gradient,
    /// `[out, in]` buffers into which the backward adds d(loss / targetCount)/dW (empty: none). The
    /// runner that trains them applies its steps to the weights and rebuilds their packed copies.
    var weightGradients: [[Projection: UnsafeMutablePointer<Float>]] = []

    /// Whether the backward runs: some parameter wants a gradient.
    private var backward: Bool { gradient != nil || inputGradient != nil || !weightGradients.isEmpty }

    /// UInt16 scratch the frozen bfloat16 products of `rows` rows need (the widest input of any, forward or backward).
    static func bf16ScratchCount(config c: ModelConfig, rows: Int) -> Int {
        let widest = max(c.hiddenSize, c.intermediateSize, (c.headCount + 2 * c.kvHeadCount) * c.headDim)
        return BF16Operand.scratchCount(rows: rows, k: widest)
    }

    private var n: Int { batch.batch * batch.seqLen }
    private var d: Int { config.hiddenSize }
    private var ff: Int { config.intermediateSize }
    private var qkvWidth: Int { (config.headCount + 2 * config.kvHeadCount) * config.headDim }
    /// Row r of the batch sits at position r % seqLen.
    private var positions: [Int] { (0..<n).map { $0 % batch.seqLen } }
    private var attention: CausalAttentionOp {
        let attnWidth = config.headCount * config.headDim
        return CausalAttentionOp(
            batch: batch.batch, seqLen: batch.seqLen, heads: config.headCount,
            kvHeads: config.kvHeadCount, headDim: config.headDim, ld: qkvWidth, qOffset: 0,
            kOffset: attnWidth, vOffset: attnWidth + config.kvHeadCount * config.headDim)
    }

    /// Projection `p` of block `layer` with its adapter factors (and their gradients, if wanted).
    func linear(_ layer: Int, _ p: Projection) -> LoRALinearOp {
        let lp = weights.layers[layer].projections[p]!
        var factors: LoRAFactors?
        if let v = views[layer][p] {
            factors = LoRAFactors(
                a: parameters + v.aOffset, b: parameters + v.bOffset,
                gradA: gradient.map { $0 + v.aOffset }, gradB: gradient.map { $0 + v.bOffset },
                rank: lora.rank, scale: lora.scale, dropout: dropout)
        }
        return LoRALinearOp(
            weight: lp.weight, bias: lp.bias, inFeatures: lp.inF, outFeatures: lp.outF, lora: factors,
            packed: packed?.layers[layer][p]?.on(bf16Kernel), bf16Scratch: bf16Scratch,
            weightGradient: weightGradients.isEmpty ? nil : weightGradients[layer][p])
    }

    /// The dropout mask seed of projection `p` in block `layer`.
    func seed(_ layer: Int, _ p: Projection) -> UInt64 { seeds.isEmpty ? 0 : seeds[layer][p] ?? 0 }

    private var linearScratchCount: Int { n * (max(d, ff, config.headCount * config.headDim) + lora.rank) }

    /// The block runner of this pass over `tapes`, with scratch for the forward (or also the backward).
    private func runner(tapes: [LayerTape], scratch: TrainingBuffer) -> TapeRunner {
        TapeRunner(
            pass: self, tapes: tapes, rotary: TransformerBlock.rotary(positions: positions, config: config),
            attention: attention, scratch: scratch.p)
    }

    // MARK: forward

    /// Embeds the batch and runs every block; returns the residual stream after the last block
    /// `[n, d]` and the tapes (one per block when a gradient is wanted, else one reused).
    private func forwardBlocks() -> (TrainingBuffer, [LayerTape]) {
        let x = TrainingBuffer(uninitialized: n * d)
        let T = batch.seqLen
        if let inputEmbeddings {
            x.p.update(from: inputEmbeddings, count: n * d)
        } else {
            TransformerBlock.embed(batch.tokens, positions: positions, config: config, weights: weights, into: x.p)
        }
        let L = config.layerCount
        let tapes = (0..<(backward ? L : min(1, L))).map { _ in
            LayerTape(config: config, batch: batch.batch, seqLen: T, loraProjections: lora.targets, rank: lora.rank)
        }
        let scratch = TrainingBuffer(uninitialized: max(linearScratchCount, T * T))
        let runner = runner(tapes: tapes, scratch: scratch)
        for l in 0..<L {
            TransformerBlock.forward(
                layer: l, config: config, weights: weights.layers[l], x: x.p, rows: n,
                activations: runner.tape(l).activations, runner: runner)
        }
        return (x, tapes)
    }

    /// Logits `[n, V]` of every position (no gradient).
    func logits() -> [Float] {
        let (x, _) = forwardBlocks()
        let h = TrainingBuffer(n * d), mean = TrainingBuffer(n), rstd = TrainingBuffer(n)
        config.definition.norm.forward(
            x: x.p, weights: weights.finalNorm, eps: config.normEpsilon, rows: n, d: d,
            into: h.p, statistics: NormStatistics(mean: mean.p, rstd: rstd.p))
        let V = config.vocabSize
        var out = [Float](repeating: 0, count: n * V)
        out.withUnsafeMutableBufferPointer { o in
            if let packed, let bf16Scratch {  // the scratch holds n rows of d (d <= the widest input)
                packed.output.forward.on(bf16Kernel).multiply(
                    h.p, rows: n, ldx: d, into: o.baseAddress!, ldy: V, accumulate: false,
                    scratch: bf16Scratch)
            } else {
                BLAS.gemm(
                    transB: true, m: n, n: V, k: d, a: h.p, lda: d, b: weights.output, ldb: d,
                    beta: 0, c: o.baseAddress!, ldc: V)
            }
        }
        return out
    }

    /// Summed cross-entropy over the batch's targets; with a gradient vector (or another gradient
    /// of the seams), also runs backward and adds d(loss / targetCount)/d(adapter) into it.
    func lossAndGradient() -> Double {
        let (x, tapes) = forwardBlocks()
        let m = batch.targetRows.count
        guard m > 0 else { return 0 }
        // Final norm and LM head on the target rows only.
        let xg = TrainingBuffer(m * d), hg = TrainingBuffer(m * d)
        let mean = TrainingBuffer(m), rstd = TrainingBuffer(m)
        for (i, r) in batch.targetRows.enumerated() { (xg.p + i * d).update(from: x.p + r * d, count: d) }
        let statistics = NormStatistics(mean: mean.p, rstd: rstd.p)
        config.definition.norm.forward(
            x: xg.p, weights: weights.finalNorm, eps: config.normEpsilon, rows: m, d: d,
            into: hg.p, statistics: statistics)
        let dhg = backward ? TrainingBuffer(m * d) : nil
        let lossSum = CrossEntropyOp.forwardBackward(
            h: hg.p, weight: weights.output, vocab: config.vocabSize, d: d,
            targets: batch.targets, gradScale: 1 / Float(m), dh: dhg?.p,
            packed: packed?.output.on(bf16Kernel))
        guard let dhg, lossSum.isFinite else { return lossSum }
        let dxg = TrainingBuffer(m * d)
        config.definition.norm.backward(
            dy: dhg.p, x: xg.p, weights: weights.finalNorm, statistics: statistics,
            rows: m, d: d, dx: dxg.p)
        let dx = x  // reuse: the residual gradient buffer
        dx.zero()
        for (i, r) in batch.targetRows.enumerated() {
            let src = dxg.p + i * d, dst = dx.p + r * d
            for j in 0..<d { dst[j] += src[j] }
        }
        backwardBlocks(dx: dx, tapes: tapes)
        return lossSum
    }

    // MARK: backward

    /// Runs the blocks backward from dL/d(residual after the last block) `dx`, which is updated
    /// in place down to the first block's attention-input gradients; adds adapter gradients on the way.
    private func backwardBlocks(dx: TrainingBuffer, tapes: [LayerTape]) {
        let T = batch.seqLen, arch = config.definition
        // Not zeroed: every first writer overwrites (`BlockGradients`).
        let dA = TrainingBuffer(uninitialized: n * d), dM = TrainingBuffer(uninitialized: n * d)
        let dQKV = TrainingBuffer(uninitialized: n * qkvWidth)
        let dO = TrainingBuffer(uninitialized: n * config.headCount * config.headDim)
        let dAct = TrainingBuffer(uninitialized: n * ff), dF1 = TrainingBuffer(uninitialized: n * ff)
        let dF2 = TrainingBuffer(uninitialized: arch.mlpInputs.count > 1 ? n * ff : 0)
        let gradients = BlockGradients(
            attentionNormed: dA.p,
            attentionInputs: arch.attentionColumns(config).map { Rows(pointer: dQKV.p + $0.offset, stride: qkvWidth) },
            attention: dO.p, mlpNormed: dM.p, mlpInputs: arch.mlpInputs.indices.map { [dF1, dF2][$0].p },
            activation: dAct.p)
        let scratch = TrainingBuffer(uninitialized: max(linearScratchCount, 2 * T * T))
        let runner = runner(tapes: tapes, scratch: scratch)
        for l in stride(from: config.layerCount - 1, through: 0, by: -1) {
            // Below the first block only the frozen embedding is left: no input gradient there,
            // unless the input embeddings are trained.
            TransformerBlock.backward(
                layer: l, config: config, weights: weights.layers[l], dx: dx.p, rows: n,
                saved: tapes[l].activations, gradients: gradients,
                inputGradient: l > 0 || inputGradient != nil, runner: runner)
        }
        if let inputGradient { for i in 0..<(n * d) { inputGradient[i] += dx.p[i] } }
    }
}

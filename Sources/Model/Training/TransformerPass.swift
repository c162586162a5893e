/// One forward pass of the decoder with LoRA over a padded batch, keeping a `LayerTape` per
/// block, then (optionally) the backward pass that adds the adapter gradient into `gradient`.
///
/// Only the adapter gets gradient buffers; frozen weights are read through `WeightPointers`.
struct TransformerPass {
    let config: ModelConfig
    let weights: WeightPointers
    let lora: LoRAConfig
    /// LoRA views per layer and projection.
    let views: [[Projection: LoRAView]]
    /// Adapter parameters, and the gradient vector of the same layout (nil: no backward).
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

    /// UInt16 scratch the frozen bfloat16 products of `rows` rows need (the widest input of any, forward or backward).
    static func bf16ScratchCount(config c: ModelConfig, rows: Int) -> Int {
        let widest = max(c.hiddenSize, c.intermediateSize, (c.headCount + 2 * c.kvHeadCount) * c.headDim)
        return BF16Operand.scratchCount(rows: rows, k: widest)
    }

    private var n: Int { batch.batch * batch.seqLen }
    private var d: Int { config.hiddenSize }
    private var ff: Int { config.intermediateSize }
    private var arch: ArchitectureDefinition { config.definition }
    private var attnWidth: Int { config.headCount * config.headDim }
    private var qkvWidth: Int { (config.headCount + 2 * config.kvHeadCount) * config.headDim }
    private var oProjection: Projection { arch.attentionOutput }
    private var downProjection: Projection { arch.mlpOutput }
    /// The projections writing the fused QKV row, with their column offsets.
    private var qkvParts: [(Projection, Int)] { arch.attentionColumns(config).map { ($0.projection, $0.offset) } }
    /// The rotary embedding of q and k over `seqLen` positions, nil with learned positions.
    private var rotary: RotaryOp? {
        arch.positions == .rotary ? RotaryOp(headDim: config.headDim, positions: batch.seqLen, theta: config.ropeTheta) : nil
    }
    private var attention: CausalAttentionOp {
        CausalAttentionOp(batch: batch.batch, seqLen: batch.seqLen, heads: config.headCount,
                          kvHeads: config.kvHeadCount, headDim: config.headDim, ld: qkvWidth, qOffset: 0,
                          kOffset: attnWidth, vOffset: attnWidth + config.kvHeadCount * config.headDim)
    }

    private func linear(_ layer: Int, _ p: Projection) -> LoRALinearOp {
        let lp = weights.layers[layer].projections[p]!
        var factors: LoRAFactors?
        if let v = views[layer][p] {
            factors = LoRAFactors(a: parameters + v.aOffset, b: parameters + v.bOffset,
                                  gradA: gradient.map { $0 + v.aOffset }, gradB: gradient.map { $0 + v.bOffset },
                                  rank: lora.rank, scale: lora.scale, dropout: dropout)
        }
        return LoRALinearOp(weight: lp.weight, bias: lp.bias, inFeatures: lp.inF, outFeatures: lp.outF, lora: factors,
                            packed: packed?.layers[layer][p]?.on(bf16Kernel), bf16Scratch: bf16Scratch)
    }

    private func seed(_ layer: Int, _ p: Projection) -> UInt64 { seeds.isEmpty ? 0 : seeds[layer][p] ?? 0 }

    private var linearScratchCount: Int { n * (max(d, ff, attnWidth) + lora.rank) }

    private func normForward(_ np: WeightPointers.NormPointers, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                             mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>, rows: Int) {
        switch arch.norm {
        case .layer:
            LayerNormOp.forward(x: x, weight: np.weight, bias: np.bias!, eps: config.normEpsilon, n: rows, d: d,
                                y: y, mean: mean, rstd: rstd)
        case .rms:
            RMSNormOp.forward(x: x, weight: np.weight, eps: config.normEpsilon, n: rows, d: d, y: y, rstd: rstd)
        }
    }

    private func normBackward(_ np: WeightPointers.NormPointers, dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
                              mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int,
                              dx: UnsafeMutablePointer<Float>) {
        switch arch.norm {
        case .layer: LayerNormOp.backward(dy: dy, x: x, weight: np.weight, mean: mean, rstd: rstd, n: rows, d: d, dx: dx)
        case .rms: RMSNormOp.backward(dy: dy, x: x, weight: np.weight, rstd: rstd, n: rows, d: d, dx: dx)
        }
    }

    // MARK: forward

    /// Embeds the batch and runs every block; returns the residual stream after the last block
    /// `[n, d]` and the tapes (one per block when a gradient is wanted, else one reused).
    private func forwardBlocks() -> (TrainingBuffer, [LayerTape]) {
        let x = TrainingBuffer(uninitialized: n * d)
        let T = batch.seqLen
        EmbeddingOp.forward(tokens: batch.tokens, table: weights.tokenEmbedding, d: d, y: x.p,
                            positions: arch.positions == .learned ? (0..<n).map { $0 % T } : nil,
                            positionTable: weights.positionEmbedding)
        let scratch = TrainingBuffer(uninitialized: max(linearScratchCount, T * T))
        let rotary = self.rotary
        var tapes: [LayerTape] = []
        let loraTargets = lora.targets
        for l in 0..<config.layerCount {
            let tape = gradient == nil && !tapes.isEmpty ? tapes[0]
                : LayerTape(config: config, batch: batch.batch, seqLen: T, loraProjections: loraTargets, rank: lora.rank)
            if gradient != nil || tapes.isEmpty { tapes.append(tape) }
            let lw = weights.layers[l]
            // attention half
            tape.xIn.p.update(from: x.p, count: n * d)
            normForward(lw.attentionNorm, x: x.p, y: tape.a.p, mean: tape.mean1.p, rstd: tape.rstd1.p, rows: n)
            for (p, offset) in qkvParts {
                linear(l, p).forward(x: tape.a.p, ldx: d, n: n, y: tape.qkv.p + offset, ldy: qkvWidth,
                                     u: tape.u[p]?.p, seed: seed(l, p), scratch: scratch.p)
            }
            if let rotary {
                rotary.apply(tape.qkv.p, ld: qkvWidth, n: n, seqLen: T, heads: config.headCount)
                rotary.apply(tape.qkv.p + attnWidth, ld: qkvWidth, n: n, seqLen: T, heads: config.kvHeadCount)
            }
            attention.forward(qkv: tape.qkv.p, out: tape.o.p, lse: tape.lse.p, scratch: scratch.p, parallel: parallelHeads)
            linear(l, oProjection).forward(x: tape.o.p, ldx: attnWidth, n: n, y: x.p, ldy: d, accumulate: true,
                                           u: tape.u[oProjection]?.p, seed: seed(l, oProjection), scratch: scratch.p)
            // MLP half
            tape.xMid.p.update(from: x.p, count: n * d)
            normForward(lw.mlpNorm, x: x.p, y: tape.m.p, mean: tape.mean2.p, rstd: tape.rstd2.p, rows: n)
            for (p, f) in zip(arch.mlpInputs, [tape.f1, tape.f2]) {
                linear(l, p).forward(x: tape.m.p, ldx: d, n: n, y: f.p, ldy: ff, u: tape.u[p]?.p, seed: seed(l, p),
                                     scratch: scratch.p)
            }
            switch arch.activation {
            case .swiGLU: SwiGLUOp.forward(gate: tape.f1.p, up: tape.f2.p, act: tape.act.p, count: n * ff)
            case .geluTanh: GELUOp.forward(x: tape.f1.p, y: tape.act.p, count: n * ff)
            }
            linear(l, downProjection).forward(x: tape.act.p, ldx: ff, n: n, y: x.p, ldy: d, accumulate: true,
                                              u: tape.u[downProjection]?.p, seed: seed(l, downProjection),
                                              scratch: scratch.p)
        }
        return (x, tapes)
    }

    /// Logits `[n, V]` of every position (no gradient).
    func logits() -> [Float] {
        let (x, _) = forwardBlocks()
        let h = TrainingBuffer(n * d), mean = TrainingBuffer(n), rstd = TrainingBuffer(n)
        normForward(weights.finalNorm, x: x.p, y: h.p, mean: mean.p, rstd: rstd.p, rows: n)
        let V = config.vocabSize
        var out = [Float](repeating: 0, count: n * V)
        out.withUnsafeMutableBufferPointer { o in
            if let packed, let bf16Scratch {  // the scratch holds n rows of d (d <= the widest input)
                packed.output.forward.on(bf16Kernel).multiply(h.p, rows: n, ldx: d, into: o.baseAddress!, ldy: V, accumulate: false,
                                               scratch: bf16Scratch)
            } else {
                BLAS.gemm(transB: true, m: n, n: V, k: d, a: h.p, lda: d, b: weights.output, ldb: d,
                          beta: 0, c: o.baseAddress!, ldc: V)
            }
        }
        return out
    }

    /// Summed cross-entropy over the batch's targets; with a gradient vector, also runs backward
    /// and adds d(loss / targetCount)/d(adapter) into it.
    func lossAndGradient() -> Double {
        let (x, tapes) = forwardBlocks()
        let m = batch.targetRows.count
        guard m > 0 else { return 0 }
        // Final norm and LM head on the target rows only.
        let xg = TrainingBuffer(m * d), hg = TrainingBuffer(m * d)
        let mean = TrainingBuffer(m), rstd = TrainingBuffer(m)
        for (i, r) in batch.targetRows.enumerated() { (xg.p + i * d).update(from: x.p + r * d, count: d) }
        normForward(weights.finalNorm, x: xg.p, y: hg.p, mean: mean.p, rstd: rstd.p, rows: m)
        let dhg = gradient == nil ? nil : TrainingBuffer(m * d)
        let lossSum = CrossEntropyOp.forwardBackward(h: hg.p, weight: weights.output, vocab: config.vocabSize, d: d,
                                                     targets: batch.targets, gradScale: 1 / Float(m), dh: dhg?.p,
                                                     packed: packed?.output.on(bf16Kernel))
        guard let dhg, lossSum.isFinite else { return lossSum }
        let dxg = TrainingBuffer(m * d)
        normBackward(weights.finalNorm, dy: dhg.p, x: xg.p, mean: mean.p, rstd: rstd.p, rows: m, dx: dxg.p)
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
    /// in place down to the embedding output; adds adapter gradients on the way.
    private func backwardBlocks(dx: TrainingBuffer, tapes: [LayerTape]) {
        let T = batch.seqLen
        // Not zeroed: each layer's first writer of a buffer overwrites it (accumulateDx false,
        // SwiGLU's backward without accumulate); only dQKV (attention adds its heads) and GPT-2's dF1
        // (GELU's backward adds) are zeroed per layer.
        let dA = TrainingBuffer(uninitialized: n * d), dM = TrainingBuffer(uninitialized: n * d)
        let dQKV = TrainingBuffer(uninitialized: n * qkvWidth), dO = TrainingBuffer(uninitialized: n * attnWidth)
        let dAct = TrainingBuffer(uninitialized: n * ff), dF1 = TrainingBuffer(uninitialized: n * ff)
        let dF2 = TrainingBuffer(uninitialized: arch.mlpInputs.count > 1 ? n * ff : 0)
        let scratch = TrainingBuffer(uninitialized: max(linearScratchCount, 2 * T * T))
        let rotary = self.rotary
        for l in stride(from: config.layerCount - 1, through: 0, by: -1) {
            let tape = tapes[l], lw = weights.layers[l]
            // MLP half: x_out = xMid + down(mlp(norm2(xMid)))
            linear(l, downProjection).backward(dy: dx.p, ldy: d, x: tape.act.p, ldx: ff, n: n,
                                               u: tape.u[downProjection]?.p, seed: seed(l, downProjection),
                                               dx: dAct.p, lddx: ff, accumulateDx: false, scratch: scratch.p)
            switch arch.activation {
            case .swiGLU:
                SwiGLUOp.backward(dAct: dAct.p, gate: tape.f1.p, up: tape.f2.p, dGate: dF1.p, dUp: dF2.p, count: n * ff,
                                  accumulate: false)
            case .geluTanh:
                dF1.zero()
                GELUOp.backward(dy: dAct.p, x: tape.f1.p, dx: dF1.p, count: n * ff)
            }
            for (i, (p, dF)) in zip(arch.mlpInputs, [dF1, dF2]).enumerated() {
                linear(l, p).backward(dy: dF.p, ldy: ff, x: tape.m.p, ldx: d, n: n, u: tape.u[p]?.p, seed: seed(l, p),
                                      dx: dM.p, lddx: d, accumulateDx: i > 0, scratch: scratch.p)
            }
            normBackward(lw.mlpNorm, dy: dM.p, x: tape.xMid.p, mean: tape.mean2.p, rstd: tape.rstd2.p, rows: n, dx: dx.p)
            // attention half: xMid = xIn + o_proj(attn(qkv(norm1(xIn))))
            linear(l, oProjection).backward(dy: dx.p, ldy: d, x: tape.o.p, ldx: attnWidth, n: n,
                                            u: tape.u[oProjection]?.p, seed: seed(l, oProjection),
                                            dx: dO.p, lddx: attnWidth, accumulateDx: false, scratch: scratch.p)
            dQKV.zero()
            attention.backward(dOut: dO.p, qkv: tape.qkv.p, lse: tape.lse.p, dqkv: dQKV.p, scratch: scratch.p,
                               parallel: parallelHeads)
            if let rotary {
                rotary.apply(dQKV.p, ld: qkvWidth, n: n, seqLen: T, heads: config.headCount, inverse: true)
                rotary.apply(dQKV.p + attnWidth, ld: qkvWidth, n: n, seqLen: T, heads: config.kvHeadCount, inverse: true)
            }
            // Below the first block only the frozen embedding is left: no input gradient there.
            let inputGradient = l > 0
            for (i, (p, offset)) in qkvParts.enumerated() {
                linear(l, p).backward(dy: dQKV.p + offset, ldy: qkvWidth, x: tape.a.p, ldx: d, n: n,
                                      u: tape.u[p]?.p, seed: seed(l, p), dx: inputGradient ? dA.p : nil, lddx: d,
                                      accumulateDx: i > 0, scratch: scratch.p)
            }
            if inputGradient {
                normBackward(lw.attentionNorm, dy: dA.p, x: tape.xIn.p, mean: tape.mean1.p, rstd: tape.rstd1.p,
                             rows: n, dx: dx.p)
            }
        }
    }
}

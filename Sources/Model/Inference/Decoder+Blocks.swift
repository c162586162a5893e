import CKernels
import Foundation

extension Decoder {
    /// Runs the embeddings and all blocks over packed tokens, leaving the residual stream `[T, d]`
    /// (before the final norm) in `ws.x`. `capture(slot, x)` sees the residual of every slot
    /// 0..<L (slot 0 the embedding output, slot l the output of block l). With `caches` (one per
    /// span), keys and values of the new tokens are stored at their positions and attention reads
    /// the whole cached prefix. `layers` (default all L) runs only the first blocks, leaving the
    /// output of block `layers` in `ws.x` (the layer proxy of the -Turbo methods).
    func runBlocks(_ tokens: [Int], spans: [Span], caches: [KVCache]?, lora: LoRAContext?, ws: Workspace,
                   layers: Int? = nil, capture: (Int, UnsafePointer<Float>) -> Void) throws {
        let c = config, d = c.hiddenSize, T = tokens.count
        let hd = c.headDim, heads = c.headCount, kvHeads = c.kvHeadCount
        let qDim = heads * hd, kvDim = kvHeads * hd, ff = c.intermediateSize
        for s in spans where s.past + s.count > c.contextLength {
            throw ModelError.invalidInput("position \(s.past + s.count - 1) is beyond the context length \(c.contextLength)")
        }
        let x = ws.x.reserve(T * d), h = ws.h.reserve(T * d)
        let attn = ws.attention.reserve(T * qDim)
        let arch = c.definition, shapes = arch.shapes(c)
        let attentionColumns = arch.attentionColumns(c)

        // Embeddings (+ learned positions).
        weights.tokenEmbedding.data.withUnsafeBufferPointer { e in
            for (t, id) in tokens.enumerated() { (x + t * d).update(from: e.baseAddress! + id * d, count: d) }
        }
        if arch.positions == .learned, let pos = weights.positionEmbedding {
            pos.data.withUnsafeBufferPointer { p in
                for s in spans {
                    for i in 0..<s.count { Kernels.axpy(1, p.baseAddress! + (s.past + i) * d, x + (s.offset + i) * d, d) }
                }
            }
        }
        // Rotary cos / sin of every row's position (table row t for packed row t), shared by all layers.
        let rotary = arch.positions == .rotary
            ? RotaryOp(headDim: hd, theta: c.ropeTheta, positions: spans.flatMap { $0.past ..< $0.past + $0.count })
            : nil
        // With the AVX-512 row kernel (head sizes 64, 128), every sequence's attention, prefill
        // included, runs as row ranges over the cores (`AttentionItem`); otherwise sequences of a
        // decoding step run in parallel, one item per sequence, and longer ones use sgemm per head.
        let rowItems = Decoder.wideRowAttention(headDim: hd) ? AttentionItem.split(spans, workers: LinearKernel.workers) : nil
        let maxScores = spans.map { Decoder.scoreScratch(n: $0.count, keys: $0.past + $0.count) }.max() ?? 0
        let parallelAttention = caches != nil && spans.count > 1 && LinearKernel.workers > 1
            && spans.allSatisfy { $0.count < Decoder.gemmAttentionThreshold }
        let maxKeys = spans.map { $0.past + $0.count }.max() ?? 0
        let scores: UnsafeMutablePointer<Float>
        if let rowItems {
            scores = ws.scores.reserve(4 * maxKeys * max(1, min(rowItems.count, LinearKernel.workers * 4)))
        } else {
            scores = ws.scores.reserve(maxScores * (parallelAttention ? spans.count : 1))
        }

        for l in 0..<min(layers ?? c.layerCount, c.layerCount) {
            capture(l, x)
            let layer = weights.layers[l]
            norm(layer.attentionNorm, x, rows: T, into: h)
            // Attention: the projections writing q | k | v (one buffer each: [T, width]), rotary,
            // cache, per-sequence causal attention.
            var parts: [(y: UnsafeMutablePointer<Float>, offset: Int, width: Int)] = []
            for (i, (p, offset)) in attentionColumns.enumerated() {
                let width = shapes[p]!.0, y = [ws.q, ws.k, ws.v][i].reserve(T * width)
                apply(layer.projections[p]!, p, layer: l, h, rows: T, into: y, lora: lora, ws: ws, rowsConverted: i > 0)
                parts.append((y, offset, width))
            }
            // Column `col` of the q | k | v row: its pointer in row 0 and the row stride.
            func column(_ col: Int) -> (UnsafeMutablePointer<Float>, Int) {
                let part = parts.last { $0.offset <= col }!
                return (part.y + (col - part.offset), part.width)
            }
            let (qPtr, qStride) = column(0), (kPtr, kvStride) = column(qDim), (vPtr, _) = column(qDim + kvDim)
            if let rotary {
                for t in 0..<T {
                    rotary.apply(row: qPtr + t * qStride, tableRow: t, heads: heads)
                    rotary.apply(row: kPtr + t * kvStride, tableRow: t, heads: kvHeads)
                }
            }
            // One sequence's attention; `scores` is scratch of `maxScores` floats.
            func attendSpan(_ si: Int, _ scores: UnsafeMutablePointer<Float>) {
                let s = spans[si]
                let q = qPtr + s.offset * qStride, out = attn + s.offset * qDim
                if let caches {
                    let cache = caches[si]
                    let ck = cache.keys(layer: l), cv = cache.values(layer: l)
                    for i in 0..<s.count {
                        (ck + (s.past + i) * kvDim).update(from: kPtr + (s.offset + i) * kvStride, count: kvDim)
                        (cv + (s.past + i) * kvDim).update(from: vPtr + (s.offset + i) * kvStride, count: kvDim)
                    }
                    Decoder.attend(q: q, qStride: qStride, k: ck, v: cv, kvStride: kvDim, n: s.count, past: s.past,
                                   heads: heads, kvHeads: kvHeads, headDim: hd, out: out, outStride: qDim, scores: scores)
                } else {
                    Decoder.attend(q: q, qStride: qStride, k: kPtr + s.offset * kvStride, v: vPtr + s.offset * kvStride,
                                   kvStride: kvStride, n: s.count, past: 0, heads: heads, kvHeads: kvHeads, headDim: hd,
                                   out: out, outStride: qDim, scores: scores)
                }
            }
            if let rowItems {
                if let caches {
                    for (si, s) in spans.enumerated() {
                        let ck = caches[si].keys(layer: l), cv = caches[si].values(layer: l)
                        for i in 0..<s.count {
                            (ck + (s.past + i) * kvDim).update(from: kPtr + (s.offset + i) * kvStride, count: kvDim)
                            (cv + (s.past + i) * kvDim).update(from: vPtr + (s.offset + i) * kvStride, count: kvDim)
                        }
                    }
                }
                // Items go to `slots` scratch areas by index: item j uses slot j % slots, and the items
                // sharing a slot run on one thread in turn (one Parallel work unit per slot).
                let slots = max(1, min(rowItems.count, LinearKernel.workers * 4))
                Parallel.forEach(slots) { slot in
                    let sc = scores + slot * 4 * maxKeys
                    var j = slot
                    while j < rowItems.count {
                        let item = rowItems[j], s = spans[item.span]
                        let k: UnsafePointer<Float>, v: UnsafePointer<Float>, kvs: Int
                        if let caches {
                            k = UnsafePointer(caches[item.span].keys(layer: l)); v = UnsafePointer(caches[item.span].values(layer: l))
                            kvs = kvDim
                        } else {
                            k = UnsafePointer(kPtr + s.offset * kvStride); v = UnsafePointer(vPtr + s.offset * kvStride)
                            kvs = kvStride
                        }
                        let row = s.offset + item.first
                        ck_attend_rows(qPtr + row * qStride, Int32(qStride), k, v, Int32(kvs), Int32(item.count),
                                       Int32(s.past + item.first), Int32(heads), Int32(kvHeads), Int32(hd),
                                       1 / Float(hd).squareRoot(), attn + row * qDim, Int32(qDim), sc)
                        j += slots
                    }
                }
            } else if parallelAttention {
                Parallel.forEach(spans.count) { si in attendSpan(si, scores + si * maxScores) }
            } else {
                for si in spans.indices { attendSpan(si, scores) }
            }
            let out = arch.attentionOutput
            apply(layer.projections[out]!, out, layer: l, attn, rows: T, into: x, accumulate: true, lora: lora, ws: ws)
            // MLP: its input projections ([T, ff] each), the activation into the first, the output.
            norm(layer.mlpNorm, x, rows: T, into: h)
            let f = arch.mlpInputs.enumerated().map { i, p in
                let y = [ws.ff1, ws.ff2][i].reserve(T * ff)
                apply(layer.projections[p]!, p, layer: l, h, rows: T, into: y, lora: lora, ws: ws, rowsConverted: i > 0)
                return y
            }
            switch arch.activation {
            case .swiGLU: Kernels.siluMul(f[0], f[1], T * ff)
            case .geluTanh: Kernels.geluTanh(f[0], T * ff)
            }
            apply(layer.projections[arch.mlpOutput]!, arch.mlpOutput, layer: l, f[0], rows: T, into: x, accumulate: true,
                  lora: lora, ws: ws)
        }
    }

    /// The architecture's norm (RMSNorm or LayerNorm) of `rows` rows of `x` into `out`.
    func norm(_ n: Norm, _ x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
        let d = config.hiddenSize, eps = config.normEpsilon
        n.weight.data.withUnsafeBufferPointer { w in
            switch config.definition.norm {
            case .layer:
                n.bias!.data.withUnsafeBufferPointer { b in
                    LayerNormOp.forward(x: x, weight: w.baseAddress!, bias: b.baseAddress!, eps: eps, n: rows, d: d, y: out)
                }
            case .rms:
                RMSNormOp.forward(x: x, weight: w.baseAddress!, eps: eps, n: rows, d: d, y: out)
            }
        }
    }

    /// `y = x W^T (+ scale * (x A^T) B^T) (+ b)`, or `y +=` the same with `accumulate`.
    /// `rowsConverted`: on the bfloat16 path, `ws.bf16Rows` already holds `x` converted by the
    /// previous `apply` of this layer (q then k and v, gate then up read the same normed rows).
    func apply(_ lin: Linear, _ projection: Projection, layer: Int, _ x: UnsafePointer<Float>, rows: Int,
               into y: UnsafeMutablePointer<Float>, accumulate: Bool = false, lora: LoRAContext?, ws: Workspace,
               rowsConverted: Bool = false) {
        let inF = lin.inFeatures, outF = lin.outFeatures
        if rows <= LinearKernel.bf16RowSplitAbove, let small = compact?.projection(layer: layer, projection) {
            LinearKernel.applyCompact(x, rows: rows, weight: small, into: y, accumulate: accumulate, scratch: ws.bf16Rows,
                                      convert: !rowsConverted, kernel: bf16Kernel)
        } else if let packed = bf16?.projection(layer: layer, projection) {
            LinearKernel.applyBF16(x, rows: rows, inFeatures: inF, weight: packed, into: y, accumulate: accumulate,
                                   scratch: ws.bf16Rows, convert: !rowsConverted, kernel: bf16Kernel)
        } else {
            lin.weight.data.withUnsafeBufferPointer { w in
                LinearKernel.apply(x, rows: rows, inFeatures: inF, weight: w.baseAddress!, outFeatures: outF, into: y,
                                   accumulate: accumulate)
            }
        }
        if let lora, let view = lora.view(layer: layer, projection: projection) {
            let r = lora.rank
            let tmp = ws.lora.reserve(rows * r)
            BLAS.linear(x, rows: rows, inFeatures: inF, weight: lora.parameters + view.aOffset, outFeatures: r, into: tmp)
            BLAS.linear(tmp, rows: rows, inFeatures: r, weight: lora.parameters + view.bOffset, outFeatures: outF,
                        into: y, alpha: lora.scale, beta: 1)
        }
        if let bias = lin.bias {
            bias.data.withUnsafeBufferPointer { b in Kernels.addBias(y, rows: rows, columns: outF, bias: b.baseAddress!) }
        }
    }

    /// Gathers the residual rows `rows` of `ws.x` and applies the final norm: `[rows.count, d]` in `ws.rows`.
    func finalNorm(rows: [Int], ws: Workspace) -> UnsafeMutablePointer<Float> {
        let d = config.hiddenSize
        let x = ws.x.pointer
        let gathered = ws.h.reserve(rows.count * d)
        for (g, r) in rows.enumerated() { (gathered + g * d).update(from: x + r * d, count: d) }
        let out = ws.rows.reserve(rows.count * d)
        norm(weights.finalNorm, gathered, rows: rows.count, into: out)
        return out
    }

    /// Logits `[rows, V]` of final-normed rows `[rows, d]` (bfloat16 scratch from `ws` when the
    /// output matrix is packed).
    func lmHead(_ normed: UnsafePointer<Float>, rows: Int, into logits: UnsafeMutablePointer<Float>,
                ws: Workspace = Workspace()) {
        let c = config
        if rows <= LinearKernel.bf16RowSplitAbove, let small = compact?.output {
            LinearKernel.applyCompact(normed, rows: rows, weight: small, into: logits, accumulate: false, scratch: ws.bf16Rows,
                                      kernel: bf16Kernel)
            return
        }
        if let packed = bf16?.output {
            LinearKernel.applyBF16(normed, rows: rows, inFeatures: c.hiddenSize, weight: packed, into: logits,
                                   accumulate: false, scratch: ws.bf16Rows, kernel: bf16Kernel)
            return
        }
        weights.outputMatrix.data.withUnsafeBufferPointer { w in
            LinearKernel.apply(normed, rows: rows, inFeatures: c.hiddenSize, weight: w.baseAddress!, outFeatures: c.vocabSize,
                               into: logits)
        }
    }
}

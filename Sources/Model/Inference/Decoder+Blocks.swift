import Foundation

extension Decoder {
    /// Runs the embeddings and all blocks over packed tokens, leaving the residual stream `[T, d]`
    /// (before the final norm) in `ws.x`. `capture(slot, x)` sees the residual of every slot
    /// 0..<L (slot 0 the embedding output, slot l the output of block l). With `caches` (one per
    /// span), keys and values of the new tokens are stored at their positions and attention reads
    /// the whole cached prefix (`CacheRunner`). `layers` (default all L) runs only the first blocks,
    /// leaving the output of block `layers` in `ws.x` (the layer proxy of the -Turbo methods).
    func runBlocks(
        _ tokens: [Int], spans: [Span], caches: [KVCache]?, lora: LoRAContext?, ws: Workspace,
        weights wp: WeightPointers, layers: Int? = nil,
        capture: (Int, UnsafePointer<Float>) -> Void
    ) throws {
        let c = config, d = c.hiddenSize, T = tokens.count, ff = c.intermediateSize
        for s in spans where s.past + s.count > c.contextLength {
            throw ModelError.invalidInput(
                "position \(s.past + s.count - 1) is beyond the context length \(c.contextLength)")
        }
        let x = ws.x.reserve(T * d), h = ws.h.reserve(T * d)
        // Packed row t sits at position positions[t] of its sequence.
        let positions = spans.flatMap { $0.past..<$0.past + $0.count }
        TransformerBlock.embed(tokens, positions: positions, config: c, weights: wp, into: x)
        let runner = CacheRunner(
            decoder: self, spans: spans, caches: caches, lora: lora, ws: ws,
            rotary: TransformerBlock.rotary(positions: positions, config: c))
        // One workspace for every block: q, k, v (or the fused row) in buffers of their own, the MLP's
        // activation written over its first input.
        let shapes = c.definition.shapes(c)
        let attentionInputs = c.definition.attentionInputs.enumerated().map { i, p in
            let width = shapes[p]!.0
            return Rows(pointer: [ws.q, ws.k, ws.v][i].reserve(T * width), stride: width)
        }
        let mlpInputs = c.definition.mlpInputs.indices.map { [ws.ff1, ws.ff2][$0].reserve(T * ff) }
        let activations = BlockActivations(
            attentionNormed: h, attentionInputs: attentionInputs,
            attention: ws.attention.reserve(T * c.headCount * c.headDim),
            mlpNormed: h, mlpInputs: mlpInputs, activation: mlpInputs[0])
        for l in 0..<min(layers ?? c.layerCount, c.layerCount) {
            capture(l, x)
            TransformerBlock.forward(
                layer: l, config: c, weights: wp.layers[l], x: x, rows: T,
                activations: activations, runner: runner)
        }
    }

    /// The architecture's norm of `rows` rows of `x` into `out`.
    func norm(_ n: Norm, _ x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
        n.weight.data.withUnsafeBufferPointer { w in
            (n.bias?.data ?? []).withUnsafeBufferPointer { b in
                config.definition.norm.forward(
                    x: x,
                    weights: WeightPointers.NormPointers(
                        weight: w.baseAddress!,
                        bias: b.baseAddress),
                    eps: config.normEpsilon, rows: rows, d: config.hiddenSize, into: out)
            }
        }
    }

    /// `y = x W^T (+ scale * (x A^T) B^T) (+ b)`, or `y +=` the same with `accumulate`.
    /// `rowsConverted`: on the bfloat16 path, `ws.bf16Rows` already holds `x` converted by the
    /// previous `apply` of this layer (q then k and v, gate then up read the same normed rows).
    func apply(
        _ lin: Linear, _ projection: Projection, layer: Int, _ x: UnsafePointer<Float>, rows: Int,
        into y: UnsafeMutablePointer<Float>, accumulate: Bool = false, lora: LoRAContext?, ws: Workspace,
        rowsConverted: Bool = false
    ) {
        let inF = lin.inFeatures, outF = lin.outFeatures
        if rows <= LinearKernel.bf16RowSplitAbove, let small = compact?.projection(layer: layer, projection) {
            LinearKernel.applyCompact(
                x, rows: rows, weight: small, into: y, accumulate: accumulate, scratch: ws.bf16Rows,
                convert: !rowsConverted, kernel: bf16Kernel)
        } else if let packed = bf16?.projection(layer: layer, projection) {
            LinearKernel.applyBF16(
                x, rows: rows, inFeatures: inF, weight: packed, into: y, accumulate: accumulate,
                scratch: ws.bf16Rows, convert: !rowsConverted, kernel: bf16Kernel)
        } else {
            lin.weight.data.withUnsafeBufferPointer { w in
                LinearKernel.apply(
                    x, rows: rows, inFeatures: inF, weight: w.baseAddress!, outFeatures: outF, into: y,
                    accumulate: accumulate)
            }
        }
        if let lora, let view = lora.view(layer: layer, projection: projection) {
            let r = lora.rank
            let tmp = ws.lora.reserve(rows * r)
            BLAS.linear(
                x, rows: rows, inFeatures: inF, weight: lora.parameters + view.aOffset, outFeatures: r, into: tmp)
            BLAS.linear(
                tmp, rows: rows, inFeatures: r, weight: lora.parameters + view.bOffset, outFeatures: outF,
                into: y, alpha: lora.scale, beta: 1)
        }
        if let bias = lin.bias {
            bias.data.withUnsafeBufferPointer { b in Kernels.addBias(y, rows: rows, columns: outF, bias: b.baseAddress!)
            }
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
    func lmHead(
        _ normed: UnsafePointer<Float>, rows: Int, into logits: UnsafeMutablePointer<Float>,
        ws: Workspace = Workspace()
    ) {
        let c = config
        if rows <= LinearKernel.bf16RowSplitAbove, let small = compact?.output {
            LinearKernel.applyCompact(
                normed, rows: rows, weight: small, into: logits, accumulate: false, scratch: ws.bf16Rows,
                kernel: bf16Kernel)
            return
        }
        if let packed = bf16?.output {
            LinearKernel.applyBF16(
                normed, rows: rows, inFeatures: c.hiddenSize, weight: packed, into: logits,
                accumulate: false, scratch: ws.bf16Rows, kernel: bf16Kernel)
            return
        }
        weights.outputMatrix.data.withUnsafeBufferPointer { w in
            LinearKernel.apply(
                normed, rows: rows, inFeatures: c.hiddenSize, weight: w.baseAddress!, outFeatures: c.vocabSize,
                into: logits)
        }
    }
}

import Foundation

/// LM head plus next-token cross-entropy over the target rows only: logits = h W^T, then
/// -log softmax(logits)[target]. Logits are made a chunk of rows at a time, so prompt rows never
/// cost a vocabulary-wide product and memory stays `chunk * V` however long the sequence.
/// With `packed` (bfloat16 precision) both products with W run on AMX; softmax and the loss stay float32.
enum CrossEntropyOp {
    /// Rows per chunk: large, because every chunk streams the whole output matrix (49152 x 576 for
    /// SmolLM2) through the product; 256 rows of logits are 50 MB.
    static let chunkRows = 256

    /// Returns the summed loss over the m rows of h `[m, d]` (targets `[m]`, W `[V, d]`).
    /// With `dh`, also adds `gradScale * dL/dh` into dh `[m, d]`: dlogits = softmax - onehot, then
    /// dh = dlogits W. (Backward reuses the forward's probabilities, chunk by chunk.)
    static func forwardBackward(
        h: UnsafePointer<Float>, weight: UnsafePointer<Float>, vocab: Int, d: Int,
        targets: [Int], gradScale: Float, dh: UnsafeMutablePointer<Float>?,
        packed: BF16TrainingWeights.PackedLinear? = nil
    ) -> Double {
        let m = targets.count
        guard m > 0 else { return 0 }
        let rowsPerChunk = min(chunkRows, m)
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: rowsPerChunk * vocab)
        defer { logits.deallocate() }
        // bfloat16: h and dlogits are converted here, once per chunk and product.
        let bf16Count =
            packed == nil
            ? 0
            : max(
                BF16Operand.scratchCount(rows: rowsPerChunk, k: d),
                BF16Operand.scratchCount(rows: rowsPerChunk, k: vocab))
        let bf16 = UnsafeMutablePointer<UInt16>.allocate(capacity: max(bf16Count, 1))
        defer { bf16.deallocate() }
        var total: Double = 0
        var start = 0
        while start < m {
            let rows = min(rowsPerChunk, m - start)
            if let packed {
                packed.forward.multiply(
                    h + start * d, rows: rows, ldx: d, into: logits, ldy: vocab, accumulate: false,
                    scratch: bf16)
            } else {
                BLAS.gemm(
                    transB: true, m: rows, n: vocab, k: d, a: h + start * d, lda: d, b: weight, ldb: d,
                    beta: 0, c: logits, ldc: vocab)
            }
            for i in 0..<rows {
                let row = logits + i * vocab
                let t = targets[start + i]
                let target = row[t]
                let mx = VectorMath.maximum(row, count: vocab)
                let s = VectorMath.expInPlace(row, count: vocab, shift: mx)  // row = exp(logit - max)
                total += Double(mx + logf(s) - target)
                if dh != nil {
                    VectorMath.scale(row, count: vocab, by: gradScale / s)  // softmax * gradScale
                    row[t] -= gradScale
                }
            }
            if let dh, let packed {
                packed.backward.multiply(
                    logits, rows: rows, ldx: vocab, into: dh + start * d, ldy: d, accumulate: true,
                    scratch: bf16)
            } else if let dh {
                BLAS.gemm(
                    m: rows, n: d, k: vocab, a: logits, lda: vocab, b: weight, ldb: d,
                    beta: 1, c: dh + start * d, ldc: d)
            }
            start += rows
        }
        return total
    }
}

import Foundation

/// Causal multi-head attention with grouped-query heads over a fused QKV row layout.
///
/// Rows are `batch` sequences of `seqLen` tokens (n = batch * seqLen), each row of width `ld`
/// holding Q (`heads * hd` at column `qOffset`), K and V (`kvHeads * hd` at `kOffset`,
/// `vOffset`). Query head h reads key/value head h / (heads / kvHeads). Forward keeps only the
/// row log-sum-exp of the scores `[batch, heads, seqLen]`; backward recomputes the
/// probabilities from Q, K and it (T x T per head at a time), so attention costs no T^2 memory.
struct CausalAttentionOp {
    let batch: Int, seqLen: Int, heads: Int, kvHeads: Int, headDim: Int
    let ld: Int, qOffset: Int, kOffset: Int, vOffset: Int

    var outWidth: Int { heads * headDim }
    var lseCount: Int { batch * heads * seqLen }
    var scratchCount: Int { seqLen * seqLen }
    private var scale: Float { 1 / Float(headDim).squareRoot() }

    /// Fills `probs` `[T, T]` with the causal softmax of scale * Q K^T for one (sequence, head).
    /// With `lse` nil it computes and stores the row log-sum-exp into `lseOut`; else reuses it.
    private func probabilities(_ qkv: UnsafePointer<Float>, b: Int, h: Int, probs: UnsafeMutablePointer<Float>,
                               lse: UnsafeMutablePointer<Float>, recompute: Bool) {
        let T = seqLen, g = h / (heads / kvHeads)
        let base = qkv + b * T * ld
        BLAS.gemm(transB: true, m: T, n: T, k: headDim, alpha: scale,
                          a: base + qOffset + h * headDim, lda: ld, b: base + kOffset + g * headDim, ldb: ld,
                          beta: 0, c: probs, ldc: T)
        let l = lse + (b * heads + h) * T
        for i in 0..<T {
            let row = probs + i * T
            if !recompute {
                var m = -Float.infinity
                for j in 0...i { m = max(m, row[j]) }
                var s: Float = 0
                for j in 0...i { s += expf(row[j] - m) }
                l[i] = m + logf(s)
            }
            let li = l[i]
            for j in 0...i { row[j] = expf(row[j] - li) }
            if i + 1 < T { (row + i + 1).update(repeating: 0, count: T - i - 1) }
        }
    }

    /// qkv `[n, ld]` -> out `[n, heads*hd]` (overwritten); saves lse `[batch*heads*T]`.
    /// `scratch` holds `scratchCount` floats.
    func forward(qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                 scratch: UnsafeMutablePointer<Float>) {
        let T = seqLen
        for b in 0..<batch {
            for h in 0..<heads {
                let g = h / (heads / kvHeads)
                probabilities(qkv, b: b, h: h, probs: scratch, lse: lse, recompute: false)
                BLAS.gemm(m: T, n: headDim, k: T, a: scratch, lda: T,
                                  b: qkv + b * T * ld + vOffset + g * headDim, ldb: ld,
                                  beta: 0, c: out + b * T * outWidth + h * headDim, ldc: outWidth)
            }
        }
    }

    /// Adds dL/dQ, dL/dK, dL/dV into `dqkv` (same layout as qkv) given dOut `[n, heads*hd]`.
    /// `scratch` holds `2 * scratchCount` floats.
    func backward(dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                  dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let T = seqLen
        let probs = scratch, dp = scratch + T * T
        for b in 0..<batch {
            let base = qkv + b * T * ld, dbase = dqkv + b * T * ld
            for h in 0..<heads {
                let g = h / (heads / kvHeads)
                probabilities(qkv, b: b, h: h, probs: probs, lse: UnsafeMutablePointer(mutating: lse), recompute: true)
                let dO = dOut + b * T * outWidth + h * headDim
                // dV += P^T dO
                BLAS.gemm(transA: true, m: T, n: headDim, k: T, a: probs, lda: T, b: dO, ldb: outWidth,
                                  beta: 1, c: dbase + vOffset + g * headDim, ldc: ld)
                // dP = dO V^T
                BLAS.gemm(transB: true, m: T, n: T, k: headDim, a: dO, lda: outWidth,
                                  b: base + vOffset + g * headDim, ldb: ld, beta: 0, c: dp, ldc: T)
                // dS = P * (dP - rowsum(P * dP))
                for i in 0..<T {
                    let pr = probs + i * T, dr = dp + i * T
                    var dot: Float = 0
                    for j in 0...i { dot += pr[j] * dr[j] }
                    for j in 0...i { dr[j] = pr[j] * (dr[j] - dot) }
                    if i + 1 < T { (dr + i + 1).update(repeating: 0, count: T - i - 1) }
                }
                // dQ += scale dS K ; dK += scale dS^T Q
                BLAS.gemm(m: T, n: headDim, k: T, alpha: scale, a: dp, lda: T,
                                  b: base + kOffset + g * headDim, ldb: ld,
                                  beta: 1, c: dbase + qOffset + h * headDim, ldc: ld)
                BLAS.gemm(transA: true, m: T, n: headDim, k: T, alpha: scale, a: dp, lda: T,
                                  b: base + qOffset + h * headDim, ldb: ld,
                                  beta: 1, c: dbase + kOffset + g * headDim, ldc: ld)
            }
        }
    }
}

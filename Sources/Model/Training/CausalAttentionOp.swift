import Foundation

/// Causal multi-head attention with grouped-query heads over a fused QKV row layout.
///
/// Rows are `batch` sequences of `seqLen` tokens (n = batch * seqLen), each row of width `ld`
/// holding Q (`heads * hd` at column `qOffset`), K and V (`kvHeads * hd` at `kOffset`,
/// `vOffset`). Query head h reads key/value head h / (heads / kvHeads). Forward keeps only the
/// row log-sum-exp of the scores `[batch, heads, seqLen]`; backward recomputes the
/// probabilities from Q, K and it, so attention costs no T^2 memory. Queries go in blocks of
/// `blockRows` rows; a block only meets the keys up to its last row, so the masked upper
/// triangle is (mostly) never computed.
struct CausalAttentionOp {
    let batch: Int, seqLen: Int, heads: Int, kvHeads: Int, headDim: Int
    let ld: Int, qOffset: Int, kOffset: Int, vOffset: Int

    static let blockRows = 64

    var outWidth: Int { heads * headDim }
    var lseCount: Int { batch * heads * seqLen }
    /// Floats of scratch `forward` needs (`backward` needs twice this).
    var scratchCount: Int { min(seqLen, Self.blockRows) * seqLen }
    private var scale: Float { 1 / Float(headDim).squareRoot() }

    /// Fills rows i0..<i1 of the causal softmax of scale * Q K^T for one (sequence, head) into
    /// `probs` (`[i1 - i0, i1]`, leading dimension seqLen; columns beyond a row's own position
    /// are zero). With `recompute` false it stores the row log-sum-exp into `lse`; else reuses it.
    private func probabilities(
        _ qkv: UnsafePointer<Float>, b: Int, h: Int, rows i0: Int, _ i1: Int,
        probs: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>, recompute: Bool
    ) {
        let T = seqLen, g = h / (heads / kvHeads)
        let base = qkv + b * T * ld
        BLAS.gemm(
            transB: true, m: i1 - i0, n: i1, k: headDim, alpha: scale,
            a: base + i0 * ld + qOffset + h * headDim, lda: ld, b: base + kOffset + g * headDim, ldb: ld,
            beta: 0, c: probs, ldc: T)
        let l = lse + (b * heads + h) * T
        for i in i0..<i1 {
            let row = probs + (i - i0) * T
            if recompute {
                SoftmaxOp.recompute(row, count: i + 1, logSumExp: l[i])
            } else {
                l[i] = SoftmaxOp.forward(row, count: i + 1)
            }
            if i + 1 < i1 { (row + i + 1).update(repeating: 0, count: i1 - i - 1) }
        }
    }

    /// qkv `[n, ld]` -> out `[n, heads*hd]` (overwritten); saves lse `[batch*heads*T]`.
    /// `scratch` holds `scratchCount` floats. With `parallel`, the (sequence, head) pairs are
    /// spread over the cores, each with scratch of its own (meant for a single-threaded BLAS).
    func forward(
        qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, parallel: Bool = false
    ) {
        let T = seqLen
        func pair(_ b: Int, _ h: Int, _ scratch: UnsafeMutablePointer<Float>) {
            let g = h / (heads / kvHeads)
            for i0 in stride(from: 0, to: T, by: Self.blockRows) {
                let i1 = min(i0 + Self.blockRows, T)
                probabilities(qkv, b: b, h: h, rows: i0, i1, probs: scratch, lse: lse, recompute: false)
                BLAS.gemm(
                    m: i1 - i0, n: headDim, k: i1, a: scratch, lda: T,
                    b: qkv + b * T * ld + vOffset + g * headDim, ldb: ld,
                    beta: 0, c: out + (b * T + i0) * outWidth + h * headDim, ldc: outWidth)
            }
        }
        guard parallel else {
            for b in 0..<batch { for h in 0..<heads { pair(b, h, scratch) } }
            return
        }
        let own = TrainingBuffer(batch * heads * scratchCount)
        Parallel.forEach(batch * heads) { item in pair(item / heads, item % heads, own.p + item * scratchCount) }
    }

    /// Adds dL/dQ, dL/dK, dL/dV into `dqkv` (same layout as qkv) given dOut `[n, heads*hd]`.
    /// `scratch` holds `2 * scratchCount` floats. With `parallel`, the (sequence, head) pairs are
    /// spread over the cores; query heads sharing a key/value head sum their dK and dV in buffers
    /// of their own, added into `dqkv` afterwards in head order.
    func backward(
        dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>, lse: UnsafePointer<Float>,
        dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, parallel: Bool = false
    ) {
        let T = seqLen
        /// One (sequence, head): dQ into dqkv; dK, dV into `dk`, `dv` (leading dimension `ldkv`).
        func pair(
            _ b: Int, _ h: Int, scratch: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
            dv: UnsafeMutablePointer<Float>, ldkv: Int
        ) {
            let probs = scratch, dp = scratch + scratchCount
            let base = qkv + b * T * ld, dbase = dqkv + b * T * ld
            let g = h / (heads / kvHeads)
            let q = base + qOffset + h * headDim, k = base + kOffset + g * headDim, v = base + vOffset + g * headDim
            let dq = dbase + qOffset + h * headDim
            for i0 in stride(from: 0, to: T, by: Self.blockRows) {
                let i1 = min(i0 + Self.blockRows, T), rows = i1 - i0
                probabilities(
                    qkv, b: b, h: h, rows: i0, i1, probs: probs,
                    lse: UnsafeMutablePointer(mutating: lse), recompute: true)
                let dO = dOut + (b * T + i0) * outWidth + h * headDim
                // dV[0..<i1] += P^T dO
                BLAS.gemm(
                    transA: true, m: i1, n: headDim, k: rows, a: probs, lda: T, b: dO, ldb: outWidth,
                    beta: 1, c: dv, ldc: ldkv)
                // dP = dO V^T
                BLAS.gemm(
                    transB: true, m: rows, n: i1, k: headDim, a: dO, lda: outWidth, b: v, ldb: ld,
                    beta: 0, c: dp, ldc: T)
                // dS = P * (dP - rowsum(P * dP))
                for i in i0..<i1 {
                    let pr = probs + (i - i0) * T, dr = dp + (i - i0) * T
                    SoftmaxOp.backward(p: pr, dp: dr, count: i + 1)
                    if i + 1 < i1 { (dr + i + 1).update(repeating: 0, count: i1 - i - 1) }
                }
                // dQ[rows] += scale dS K ; dK[0..<i1] += scale dS^T Q[rows]
                BLAS.gemm(
                    m: rows, n: headDim, k: i1, alpha: scale, a: dp, lda: T, b: k, ldb: ld,
                    beta: 1, c: dq + i0 * ld, ldc: ld)
                BLAS.gemm(
                    transA: true, m: i1, n: headDim, k: rows, alpha: scale, a: dp, lda: T,
                    b: q + i0 * ld, ldb: ld, beta: 1, c: dk, ldc: ldkv)
            }
        }
        guard parallel else {
            for b in 0..<batch {
                let dbase = dqkv + b * T * ld
                for h in 0..<heads {
                    let g = h / (heads / kvHeads)
                    pair(
                        b, h, scratch: scratch, dk: dbase + kOffset + g * headDim, dv: dbase + vOffset + g * headDim,
                        ldkv: ld)
                }
            }
            return
        }
        // Per pair: 2 * scratchCount of scratch, then dK and dV `[T, hd]` each (zeroed).
        let per = 2 * scratchCount + 2 * T * headDim
        let own = TrainingBuffer(batch * heads * per)
        Parallel.forEach(batch * heads) { item in
            let s = own.p + item * per
            pair(
                item / heads, item % heads, scratch: s, dk: s + 2 * scratchCount,
                dv: s + 2 * scratchCount + T * headDim,
                ldkv: headDim)
        }
        for item in 0..<(batch * heads) {
            let (b, h) = (item / heads, item % heads), g = h / (heads / kvHeads)
            let s = own.p + item * per + 2 * scratchCount
            let dbase = dqkv + b * T * ld
            for (src, dst) in [(s, dbase + kOffset + g * headDim), (s + T * headDim, dbase + vOffset + g * headDim)] {
                for t in 0..<T {
                    let sr = src + t * headDim, dr = dst + t * ld
                    for j in 0..<headDim { dr[j] += sr[j] }
                }
            }
        }
    }
}

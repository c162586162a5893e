import CKernels

extension Decoder {
    /// Query counts from which one sequence's attention runs as two `sgemm` per head instead of
    /// per-row dot products.
    static let gemmAttentionThreshold = 8

    /// Whether attention runs `ck_attend_rows` (AVX-512 path) for every query count, prefill
    /// included: the CPU has AVX2 + FMA and AVX-512F and the head size is 64 or 128. Its work is
    /// split by `AttentionItem`, so no sgemm (and no OpenBLAS threads) is involved.
    static func wideRowAttention(headDim: Int) -> Bool {
        (headDim == 64 || headDim == 128) && Kernels.hasAVX2FMA && hasAVX512F
    }

    static let hasAVX512F = ck_has_avx512f() != 0

    /// Scratch floats `attend` needs for `n` queries over `keys` keys.
    static func scoreScratch(n: Int, keys: Int) -> Int {
        n >= gemmAttentionThreshold ? n * keys : 4 * keys  // ck_attend_rows: up to 4 heads' scores
    }

    /// Causal multi-head attention of one sequence: `n` queries at positions `past ..< past + n`
    /// over keys / values at positions `0 ..< past + n` (row `t` of `k`, `v` is position `t`).
    /// Query head `h` reads key/value head `h / (heads / kvHeads)` (grouped-query attention).
    /// `q`, `k`, `v`, `out` point at column 0 of their first row; strides are in floats.
    static func attend(
        q: UnsafePointer<Float>, qStride: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        kvStride: Int, n: Int, past: Int, heads: Int, kvHeads: Int, headDim hd: Int,
        out: UnsafeMutablePointer<Float>, outStride: Int, scores: UnsafeMutablePointer<Float>
    ) {
        let group = heads / kvHeads
        let scale = 1 / Float(hd).squareRoot()
        let keys = past + n
        if n >= gemmAttentionThreshold {
            for h in 0..<heads {
                let kvh = h / group
                // S[n, keys] = scale * Q_h K_h^T
                BLAS.gemmTransB(
                    m: n, n: keys, k: hd, alpha: scale, a: q + h * hd, lda: qStride,
                    b: k + kvh * hd, ldb: kvStride, c: scores, ldc: keys)
                for i in 0..<n {
                    let row = scores + i * keys
                    let valid = past + i + 1
                    SoftmaxOp.apply(row, count: valid)
                    if valid < keys { (row + valid).update(repeating: 0, count: keys - valid) }
                }
                // O_h[n, hd] = S V_h
                BLAS.gemm(
                    m: n, n: hd, k: keys, a: scores, lda: keys, b: v + kvh * hd, ldb: kvStride,
                    c: out + h * hd, ldc: outStride)
            }
            return
        }
        if Kernels.hasAVX2FMA {
            ck_attend_rows(
                q, Int32(qStride), k, v, Int32(kvStride), Int32(n), Int32(past), Int32(heads), Int32(kvHeads),
                Int32(hd), scale, out, Int32(outStride), scores)
        } else {
            attendRowsPlain(
                q: q, qStride: qStride, k: k, v: v, kvStride: kvStride, n: n, past: past, heads: heads,
                kvHeads: kvHeads, headDim: hd, out: out, outStride: outStride, scores: scores)
        }
    }

    /// The per-row path of `attend` in Swift: one dot product per key, softmax, weighted sum of values.
    static func attendRowsPlain(
        q: UnsafePointer<Float>, qStride: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        kvStride: Int, n: Int, past: Int, heads: Int, kvHeads: Int, headDim hd: Int,
        out: UnsafeMutablePointer<Float>, outStride: Int, scores: UnsafeMutablePointer<Float>
    ) {
        let group = heads / kvHeads
        let scale = 1 / Float(hd).squareRoot()
        for i in 0..<n {
            let valid = past + i + 1
            for h in 0..<heads {
                let kvh = h / group
                let qi = q + i * qStride + h * hd
                for t in 0..<valid { scores[t] = Kernels.dot(qi, k + t * kvStride + kvh * hd, hd) * scale }
                SoftmaxOp.forward(scores, count: valid)
                let o = out + i * outStride + h * hd
                o.update(repeating: 0, count: hd)
                for t in 0..<valid { Kernels.axpy(scores[t], v + t * kvStride + kvh * hd, o, hd) }
            }
        }
    }
}

import COpenBLAS

/// The one matrix product training needs: row-major `C = alpha * op(A) op(B) + beta * C`
/// through `cblas_sgemm`. Leading dimensions let callers address column slices of wider buffers
/// (a head of Q inside the fused QKV rows, one projection's output inside QKV, ...).
enum TrainingBLAS {
    /// `C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C`.
    static func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        if k == 0 {  // an empty product: C = beta * C
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// A zero-initialised Float buffer owned by one training pass (activations kept for backward,
/// gradients of activations, scratch). Freed when the pass ends.
final class TrainingBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ count: Int) {
        self.count = count
        pointer = .allocate(capacity: Swift.max(count, 1))
        pointer.initialize(repeating: 0, count: Swift.max(count, 1))
    }

    deinit { pointer.deallocate() }

    var p: UnsafeMutablePointer<Float> { pointer }
    func zero() { pointer.update(repeating: 0, count: count) }
    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// A tiny seeded generator (SplitMix64) that regenerates the same dropout mask in backward from
/// the seed saved in forward, so masks cost no memory.
struct DropoutStream {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Writes `x * mask / keep` into `out` for `count` values (mask ~ Bernoulli(keep)), reading
    /// `x` as `rows` rows of `cols` with leading dimension `ldx`; `out` is dense `[rows, cols]`.
    static func apply(seed: UInt64, probability p: Float, x: UnsafePointer<Float>, rows: Int, cols: Int, ldx: Int,
                      out: UnsafeMutablePointer<Float>) {
        var stream = DropoutStream(seed: seed)
        let keepScale = 1 / (1 - p)
        // Threshold on 24-bit uniforms: drop when u < p.
        let threshold = UInt64((Double(p) * 16_777_216).rounded())
        for r in 0..<rows {
            let xr = x + r * ldx, o = out + r * cols
            var c = 0
            while c < cols {
                let bits = stream.next()
                // Two 24-bit uniforms per draw.
                let u0 = bits >> 40, u1 = (bits >> 16) & 0xFF_FFFF
                o[c] = u0 < threshold ? 0 : xr[c] * keepScale
                if c + 1 < cols { o[c + 1] = u1 < threshold ? 0 : xr[c + 1] * keepScale }
                c += 2
            }
        }
    }
}

import COpenBLAS

/// The one place the Model module calls OpenBLAS `cblas_sgemm`, for inference and training alike.
/// The engine's layout: row-major activations
/// `[rows, in]` and weights `[out, in]` (the PyTorch `nn.Linear` convention), so `y = x W^T`.
enum BLAS {
    /// `y[m, n] = alpha * x[m, k] · w[n, k]^T + beta * y`. Leading dimensions default to dense rows.
    @inline(__always)
    static func linear(
        _ x: UnsafePointer<Float>, rows m: Int, inFeatures k: Int,
        weight w: UnsafePointer<Float>, outFeatures n: Int,
        into y: UnsafeMutablePointer<Float>, alpha: Float = 1, beta: Float = 0,
        ldx: Int? = nil, ldy: Int? = nil
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), alpha,
            x, Int32(ldx ?? k), w, Int32(k), beta, y, Int32(ldy ?? n))
    }

    /// `c[m, n] = alpha * a[m, k] · b[k, n] + beta * c` (no transposes), with explicit leading dimensions.
    @inline(__always)
    static func gemm(
        m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `c[m, n] = alpha * a[m, k] · b[n, k]^T + beta * c`, with explicit leading dimensions.
    @inline(__always)
    static func gemmTransB(
        m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C`, the general form training uses.
    /// Leading dimensions let callers address column slices of wider buffers (a head of Q inside
    /// the fused QKV rows, ...). An empty product (`k == 0`) leaves `beta * C`.
    static func gemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// RMSNorm over rows: `y = x * rstd * w`, `rstd = 1 / sqrt(mean(x^2) + eps)`, the norm of the LLaMA
/// family in both runners (`Decoder`'s forward, `TransformerPass`'s forward and backward). Rows are
/// split over the cores (`Parallel.run`; a few rows, as in a decoding step, run inline).
enum RMSNormOp {
    /// x `[n, d]` -> y `[n, d]`; saves rstd `[n]` when given (the backward needs it).
    static func forward(
        x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, eps: Float, n: Int, d: Int,
        y: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>? = nil
    ) {
        Parallel.run(n, minimum: Parallel.minimumRows) { i0, i1 in
            forwardRows(i0, i1, x: x, weight: w, eps: eps, d: d, y: y, rstd: rstd)
        }
    }

    private static func forwardRows(
        _ i0: Int, _ i1: Int, x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
        eps: Float, d: Int, y: UnsafeMutablePointer<Float>,
        rstd: UnsafeMutablePointer<Float>?
    ) {
        for i in i0..<i1 {
            let xr = x + i * d, yr = y + i * d
            let r = 1 / (Kernels.dot(xr, xr, d) / Float(d) + eps).squareRoot()
            rstd?[i] = r
            let vr = Kernels.V8(repeating: r)
            var j = 0
            while j + 8 <= d { Kernels.store(Kernels.load(xr, j) * vr * Kernels.load(w, j), yr, j); j += 8 }
            while j < d { yr[j] = xr[j] * r * w[j]; j += 1 }
        }
    }

    /// Adds `dL/dx` into dx `[n, d]` given dy `[n, d]` (the weight is frozen: no gradient).
    /// dx = rstd * (dy*w) - x * rstd^3 * mean(dy*w*x).
    static func backward(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
        rstd: UnsafePointer<Float>, n: Int, d: Int, dx: UnsafeMutablePointer<Float>
    ) {
        Parallel.run(n, minimum: Parallel.minimumRows) { i0, i1 in
            backwardRows(i0, i1, dy: dy, x: x, weight: w, rstd: rstd, d: d, dx: dx)
        }
    }

    private static func backwardRows(
        _ i0: Int, _ i1: Int, dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
        weight w: UnsafePointer<Float>, rstd: UnsafePointer<Float>, d: Int,
        dx: UnsafeMutablePointer<Float>
    ) {
        for i in i0..<i1 {
            let xr = x + i * d, dyr = dy + i * d, dxr = dx + i * d
            let r = rstd[i]
            var acc = SIMD8<Float>(repeating: 0)
            var j = 0
            while j + 8 <= d {
                acc +=
                    UnsafeRawPointer(dyr + j).loadUnaligned(as: SIMD8<Float>.self)
                    * UnsafeRawPointer(w + j).loadUnaligned(as: SIMD8<Float>.self)
                    * UnsafeRawPointer(xr + j).loadUnaligned(as: SIMD8<Float>.self)
                j += 8
            }
            var dot = acc.sum()
            while j < d { dot += dyr[j] * w[j] * xr[j]; j += 1 }
            let c = dot / Float(d) * r * r * r
            for j in 0..<d { dxr[j] += dyr[j] * w[j] * r - xr[j] * c }
        }
    }
}

/// RMSNorm over rows (LLaMA): `y = x * rstd * w`, `rstd = 1 / sqrt(mean(x^2) + eps)`.
enum RMSNormOp {
    /// x `[n, d]` -> y `[n, d]`; saves rstd `[n]`.
    static func forward(x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, eps: Float, n: Int, d: Int,
                        y: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
        for i in 0..<n {
            let xr = x + i * d, yr = y + i * d
            var ss: Float = 0
            for j in 0..<d { ss += xr[j] * xr[j] }
            let r = 1 / (ss / Float(d) + eps).squareRoot()
            rstd[i] = r
            for j in 0..<d { yr[j] = xr[j] * r * w[j] }
        }
    }

    /// Adds `dL/dx` into dx `[n, d]` given dy `[n, d]` (the weight is frozen: no gradient).
    /// dx = rstd * (dy*w) - x * rstd^3 * mean(dy*w*x).
    static func backward(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                         rstd: UnsafePointer<Float>, n: Int, d: Int, dx: UnsafeMutablePointer<Float>) {
        for i in 0..<n {
            let xr = x + i * d, dyr = dy + i * d, dxr = dx + i * d
            let r = rstd[i]
            var dot: Float = 0
            for j in 0..<d { dot += dyr[j] * w[j] * xr[j] }
            let c = dot / Float(d) * r * r * r
            for j in 0..<d { dxr[j] += dyr[j] * w[j] * r - xr[j] * c }
        }
    }
}

/// LayerNorm over rows: `y = (x - mean) * rstd * w + b` (biased variance), GPT-2's norm in both
/// runners (`Decoder`'s forward, `TransformerPass`'s forward and backward). Rows are split over the
/// cores (`Parallel.run`; a few rows run inline).
enum LayerNormOp {
    /// x `[n, d]` -> y `[n, d]`; saves mean `[n]` and rstd `[n]` when given (the backward needs them).
    static func forward(
        x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, bias b: UnsafePointer<Float>,
        eps: Float, n: Int, d: Int, y: UnsafeMutablePointer<Float>,
        mean: UnsafeMutablePointer<Float>? = nil, rstd: UnsafeMutablePointer<Float>? = nil
    ) {
        Parallel.run(n, minimum: Parallel.minimumRows) { i0, i1 in
            for i in i0..<i1 {
                let xr = x + i * d, yr = y + i * d
                var s: Float = 0
                for j in 0..<d { s += xr[j] }
                let mu = s / Float(d)
                var v: Float = 0
                for j in 0..<d { let c = xr[j] - mu; v += c * c }
                let r = 1 / (v / Float(d) + eps).squareRoot()
                mean?[i] = mu
                rstd?[i] = r
                for j in 0..<d { yr[j] = (xr[j] - mu) * r * w[j] + b[j] }
            }
        }
    }

    /// Adds `dL/dx` into dx `[n, d]` (weight and bias frozen).
    /// With g = dy*w and xhat = (x-mean)*rstd: dx = rstd * (g - mean(g) - xhat * mean(g*xhat)).
    static func backward(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, n: Int, d: Int,
        dx: UnsafeMutablePointer<Float>
    ) {
        for i in 0..<n {
            let xr = x + i * d, dyr = dy + i * d, dxr = dx + i * d
            let mu = mean[i], r = rstd[i]
            var sg: Float = 0, sgx: Float = 0
            for j in 0..<d {
                let g = dyr[j] * w[j]
                sg += g
                sgx += g * (xr[j] - mu) * r
            }
            let mg = sg / Float(d), mgx = sgx / Float(d)
            for j in 0..<d {
                let xhat = (xr[j] - mu) * r
                dxr[j] += r * (dyr[j] * w[j] - mg - xhat * mgx)
            }
        }
    }
}

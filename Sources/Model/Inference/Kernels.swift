import CKernels
import Foundation

/// Elementwise, normalisation and attention-row kernels over raw pointers: SIMD loads, no
/// allocation. All matrices are row-major. Where the CPU has AVX2 + FMA, SwiGLU and softmax run
/// the C kernels (vectorised exp); the Swift loops are the fallback and the tests' reference.
enum Kernels {
    typealias V8 = SIMD8<Float>

    /// Whether the AVX2 + FMA kernels of `CKernels` run on this CPU.
    static let hasAVX2FMA = ck_has_avx2_fma() != 0

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> V8 {
        UnsafeRawPointer(p + i).loadUnaligned(as: V8.self)
    }

    @inline(__always)
    static func store(_ v: V8, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V8.self)
    }

    /// `sum_i a[i] * b[i]`.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var s0 = V8(), s1 = V8()
        var i = 0
        while i + 16 <= n {
            s0 += load(a, i) * load(b, i)
            s1 += load(a, i + 8) * load(b, i + 8)
            i += 16
        }
        if i + 8 <= n { s0 += load(a, i) * load(b, i); i += 8 }
        var s = (s0 + s1).sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// `y += alpha * x`.
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let va = V8(repeating: alpha)
        var i = 0
        while i + 8 <= n { store(load(UnsafePointer(y), i) + va * load(x, i), y, i); i += 8 }
        while i < n { y[i] += alpha * x[i]; i += 1 }
    }

    /// `y[r, :] += bias` for every row.
    static func addBias(_ y: UnsafeMutablePointer<Float>, rows: Int, columns n: Int, bias: UnsafePointer<Float>) {
        for r in 0..<rows { axpy(1, bias, y + r * n, n) }
    }

    /// RMSNorm of each row (`x * rsqrt(mean(x^2) + eps) * w`), from `x` (row stride `d`) into `out`.
    static func rmsNorm(_ x: UnsafePointer<Float>, rows: Int, d: Int, weight: UnsafePointer<Float>,
                        epsilon: Float, into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * d, yr = out + r * d
            let inv = 1 / (dot(xr, xr, d) / Float(d) + epsilon).squareRoot()
            let vi = V8(repeating: inv)
            var i = 0
            while i + 8 <= d { store(load(xr, i) * vi * load(weight, i), yr, i); i += 8 }
            while i < d { yr[i] = xr[i] * inv * weight[i]; i += 1 }
        }
    }

    /// LayerNorm of each row (`(x - mean) / sqrt(var + eps) * w + b`, biased variance).
    static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, d: Int, weight: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, epsilon: Float, into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * d, yr = out + r * d
            var sum = V8()
            var i = 0
            while i + 8 <= d { sum += load(xr, i); i += 8 }
            var s = sum.sum()
            while i < d { s += xr[i]; i += 1 }
            let mean = s / Float(d)
            let vm = V8(repeating: mean)
            var sq = V8()
            i = 0
            while i + 8 <= d { let c = load(xr, i) - vm; sq += c * c; i += 8 }
            var v = sq.sum()
            while i < d { let c = xr[i] - mean; v += c * c; i += 1 }
            let inv = 1 / (v / Float(d) + epsilon).squareRoot()
            let vi = V8(repeating: inv)
            i = 0
            while i + 8 <= d { store((load(xr, i) - vm) * vi * load(weight, i) + load(bias, i), yr, i); i += 8 }
            while i < d { yr[i] = (xr[i] - mean) * inv * weight[i] + bias[i]; i += 1 }
        }
    }

    /// SwiGLU: `gate = silu(gate) * up`.
    static func siluMul(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int) {
        if hasAVX2FMA { ck_silu_mul(gate, up, n) } else { siluMulPlain(gate, up, n) }
    }

    /// SwiGLU with libm's `expf`, one element at a time.
    static func siluMulPlain(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// GELU, tanh approximation (`gelu_new` of GPT-2), in place.
    static func geluTanh(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        let c: Float = 0.7978845608028654  // sqrt(2 / pi)
        for i in 0..<n {
            let v = x[i]
            x[i] = 0.5 * v * (1 + tanhf(c * (v + 0.044715 * v * v * v)))
        }
    }

    /// Softmax of `x[0..<n]` in place (max-subtracted).
    @inline(__always)
    static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        if hasAVX2FMA { ck_softmax(x, Int32(n)) } else { softmaxPlain(x, n) }
    }

    /// Softmax with libm's `expf`.
    static func softmaxPlain(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        var m = -Float.infinity
        for i in 0..<n where x[i] > m { m = x[i] }
        var s: Float = 0
        for i in 0..<n { let e = expf(x[i] - m); x[i] = e; s += e }
        let inv = 1 / s
        for i in 0..<n { x[i] *= inv }
    }

    /// Rotary embedding in the Hugging Face `rotate_half` convention on `heads` heads of size `hd`
    /// of one row: pairs `(i, i + hd/2)` turn by the angle whose cos/sin are `cos[i]`, `sin[i]`.
    @inline(__always)
    static func rope(_ row: UnsafeMutablePointer<Float>, heads: Int, headDim hd: Int,
                     cos: UnsafePointer<Float>, sin: UnsafePointer<Float>) {
        let half = hd / 2
        for h in 0..<heads {
            let a = row + h * hd, b = a + half
            var i = 0
            while i + 8 <= half {
                let x1 = load(UnsafePointer(a), i), x2 = load(UnsafePointer(b), i)
                let c = load(cos, i), s = load(sin, i)
                store(x1 * c - x2 * s, a, i)
                store(x2 * c + x1 * s, b, i)
                i += 8
            }
            while i < half {
                let x1 = a[i], x2 = b[i]
                a[i] = x1 * cos[i] - x2 * sin[i]
                b[i] = x2 * cos[i] + x1 * sin[i]
                i += 1
            }
        }
    }

    /// Index of the largest value (first one on ties).
    static func argmax(_ x: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        var m = x[0]
        for i in 1..<max(n, 1) where x[i] > m { m = x[i]; best = i }
        return best
    }
}

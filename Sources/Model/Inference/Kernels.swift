import CKernels
import Foundation

/// Elementwise kernels over raw pointers: SIMD loads, no allocation. All matrices are row-major.
/// (The norms, activations, softmax, embeddings and rotary embeddings are op pairs in `Ops/`.)
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

    /// Index of the largest value (first one on ties).
    static func argmax(_ x: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        var m = x[0]
        for i in 1..<max(n, 1) where x[i] > m { m = x[i]; best = i }
        return best
    }
}

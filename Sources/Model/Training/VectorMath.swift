/// Loops of the training kernels written so the compiler vectorises them. `exp` is the Cephes
/// expf range reduction and polynomial (relative error < 1e-7 against Double exp over
/// [-87, 88]) with no libm call and no branch, so the softmax of attention and of the LM head
/// and the sigmoid of SwiGLU run several elements per instruction instead of calling scalar
/// expf. Inputs are clamped to [-87.3, 88] (exp below -87.3 gives the smallest normal, not 0).
enum VectorMath {
    @inline(__always)
    static func exp(_ v: Float) -> Float {
        let x0 = Swift.min(Swift.max(v, -87.336_54), 88)
        // n = round(x / ln 2) with the 1.5 * 2^23 trick (the low bits of t hold n);
        // r = x - n ln 2 in two parts; exp(x) = 2^n * p(r).
        let t = x0 * 1.442_695_04 + 12_582_912
        let n = t - 12_582_912
        let x = x0 - n * 0.693_359_375 + n * 2.121_944_4e-4
        var y: Float = 1.987_569_15e-4
        y = y * x + 1.398_199_95e-3
        y = y * x + 8.333_451_9e-3
        y = y * x + 4.166_579_59e-2
        y = y * x + 1.666_666_55e-1
        y = y * x + 5.000_000_12e-1
        y = y * (x * x) + x + 1
        return y * Float(bitPattern: (t.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
    }

    /// x[i] = exp(x[i] - shift) for i < count; returns the sum of the results.
    static func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        for i in 0..<count { x[i] = exp(x[i] - shift) }
        return sum(x, count: count)
    }

    /// sum(x[0..<count]), eight partial sums.
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            acc += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var r: Float = 0
        for k in 0..<8 { r += acc[k] }
        while i < count { r += x[i]; i += 1 }
        return r
    }

    /// The largest of x[0..<count] (count >= 1).
    static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var m0 = -Float.infinity, m1 = m0, m2 = m0, m3 = m0
        var i = 0
        while i + 4 <= count {
            m0 = Swift.max(m0, x[i]); m1 = Swift.max(m1, x[i + 1])
            m2 = Swift.max(m2, x[i + 2]); m3 = Swift.max(m3, x[i + 3])
            i += 4
        }
        while i < count { m0 = Swift.max(m0, x[i]); i += 1 }
        return Swift.max(Swift.max(m0, m1), Swift.max(m2, m3))
    }

    /// x[i] *= k for i < count.
    static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by k: Float) {
        for i in 0..<count { x[i] *= k }
    }

    /// sum(a[i] * b[i]) for i < count, eight partial sums.
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            acc +=
                UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var r: Float = 0
        for k in 0..<8 { r += acc[k] }
        while i < count { r += a[i] * b[i]; i += 1 }
        return r
    }
}

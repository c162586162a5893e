/// SIMD loops of the training kernels. `exp` works on 8 lanes at once (the Cephes expf range
/// reduction and polynomial, ~2 ulp), so the softmax of attention and of the LM head and the
/// sigmoid of SwiGLU do not call libm's scalar expf per element. Inputs are clamped to [-87.3, 88] (the result never overflows; exp of
/// anything below -87.3 is the smallest normal instead of 0).
enum VectorMath {
    typealias V8 = SIMD8<Float>

    @inline(__always)
    static func exp(_ v: V8) -> V8 {
        let x0 = v.clamped(lowerBound: V8(repeating: -87.33654), upperBound: V8(repeating: 88.0))
        // n = round(x / ln 2) with the 1.5 * 2^23 trick (its bits hold n), r = x - n ln 2 in two parts.
        let magic = V8(repeating: 12_582_912)
        let t = x0 * 1.442_695_04 + magic
        let n = t - magic
        let x = x0 - n * 0.693_359_375 + n * 2.121_944_4e-4
        var y = V8(repeating: 1.987_569_15e-4)
        y = y * x + 1.398_199_95e-3
        y = y * x + 8.333_451_9e-3
        y = y * x + 4.166_579_59e-2
        y = y * x + 1.666_666_55e-1
        y = y * x + 5.000_000_12e-1
        y = y * (x * x) + x + 1
        let tBits = unsafeBitCast(t, to: SIMD8<UInt32>.self), magicBits = unsafeBitCast(magic, to: SIMD8<UInt32>.self)
        return y * unsafeBitCast((tBits &- magicBits &+ 127) &<< 23, to: V8.self)
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V8 {
        UnsafeRawPointer(p).loadUnaligned(as: V8.self)
    }

    @inline(__always) static func store(_ v: V8, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self)
    }

    /// x[i] = exp(x[i] - shift) for i < count; returns the sum of the results.
    static func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        var acc = V8(repeating: 0)
        let s = V8(repeating: shift)
        var i = 0
        while i + 8 <= count {
            let e = exp(load(x + i) - s)
            store(e, x + i)
            acc += e
            i += 8
        }
        var total = acc.sum()
        while i < count {
            var lane = V8(repeating: -100)
            lane[0] = x[i] - shift
            let e = exp(lane)[0]
            x[i] = e
            total += e
            i += 1
        }
        return total
    }

    /// The largest of x[0..<count] (count >= 1).
    static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var m = V8(repeating: -Float.infinity)
        var i = 0
        while i + 8 <= count { m = pointwiseMax(m, load(x + i)); i += 8 }
        var r = m.max()
        while i < count { r = Swift.max(r, x[i]); i += 1 }
        return r
    }

    /// x[i] *= k for i < count.
    static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by k: Float) {
        var i = 0
        while i + 8 <= count { store(load(x + i) * k, x + i); i += 8 }
        while i < count { x[i] *= k; i += 1 }
    }

    /// sum(a[i] * b[i]) for i < count.
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = V8(repeating: 0)
        var i = 0
        while i + 8 <= count { acc += load(a + i) * load(b + i); i += 8 }
        var r = acc.sum()
        while i < count { r += a[i] * b[i]; i += 1 }
        return r
    }
}

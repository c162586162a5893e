/// LoRA dropout masks as a pure function of (seed, element index): element i of a `[rows, cols]`
/// input is dropped when a 24-bit hash of (seed, i) falls below p * 2^24. Backward regenerates
/// the forward's mask from the seed, so masks cost no memory, and 8 elements are hashed at once.
enum DropoutMask {
    typealias U8 = SIMD8<UInt32>

    /// murmur3's 32-bit finaliser, lane-wise.
    @inline(__always) private static func mix(_ v: U8) -> U8 {
        var h = v
        h ^= h &>> 16
        h &*= 0x85EB_CA6B
        h ^= h &>> 13
        h &*= 0xC2B2_AE35
        h ^= h &>> 16
        return h
    }

    /// Writes `x * mask / keep` into `out` for `rows` rows of `cols` values (mask ~ Bernoulli(keep)),
    /// reading `x` with leading dimension `ldx`; `out` is dense `[rows, cols]` and may be `x`
    /// itself when `ldx == cols`.
    static func apply(seed: UInt64, probability p: Float, x: UnsafePointer<Float>, rows: Int, cols: Int, ldx: Int,
                      out: UnsafeMutablePointer<Float>) {
        let keepScale = 1 / (1 - p)
        let threshold = U8(repeating: UInt32((Double(p) * 16_777_216).rounded()))
        let lo = U8(repeating: UInt32(truncatingIfNeeded: seed))
        let hi = U8(repeating: UInt32(truncatingIfNeeded: seed >> 32))
        let lanes = U8(0, 1, 2, 3, 4, 5, 6, 7)
        let zero = VectorMath.V8(repeating: 0)
        for r in 0..<rows {
            let xr = x + r * ldx, o = out + r * cols
            var c = 0
            while c + 8 <= cols {
                let index = U8(repeating: UInt32(truncatingIfNeeded: r * cols + c)) &+ lanes
                let keep = (mix(mix(index ^ lo) &+ hi) &>> 8) .>= threshold
                let v = VectorMath.load(xr + c) * keepScale
                VectorMath.store(zero.replacing(with: v, where: keep), o + c)
                c += 8
            }
            if c < cols {
                let index = U8(repeating: UInt32(truncatingIfNeeded: r * cols + c)) &+ lanes
                let keep = (mix(mix(index ^ lo) &+ hi) &>> 8) .>= threshold
                for k in 0..<(cols - c) { o[c + k] = keep[k] ? xr[c + k] * keepScale : 0 }
            }
        }
    }
}

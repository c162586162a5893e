/// LoRA dropout masks drawn from a tiny seeded generator (SplitMix64), regenerated in backward
/// from the seed the forward used, so masks cost no memory. Each 64-bit draw gives four 16-bit
/// uniforms: an element is dropped when its uniform is below p * 2^16 (p = 0.05 becomes
/// 3277 / 65536 = 0.050003). Every row starts a new draw. The stream is counter-based (draw k
/// of a row is a function of the seed and k alone), so the LoRA kernels (`ck_lora_*`, which the
/// training pass uses) draw any rows and columns of the same mask in parallel, without storing
/// it; `apply` is the sequential statement of it, which the tests hold those kernels to.
enum DropoutMask {
    /// Uniforms (16-bit) below this are dropped: p * 2^16, rounded.
    static func threshold(_ p: Float) -> UInt32 { UInt32((Double(p) * 65_536).rounded()) }

    /// The factor of a kept element, 1 / (1 - p).
    static func keepScale(_ p: Float) -> Float { 1 / (1 - p) }

    /// Writes `x * mask / keep` into `out` (or adds it, with `accumulate`) for `rows` rows of
    /// `cols` values (mask ~ Bernoulli(keep)), reading `x` with leading dimension `ldx` and
    /// writing `out` with leading dimension `ldOut` (default dense); `out` may be `x` itself when
    /// the leading dimensions are equal.
    static func apply(
        seed: UInt64, probability p: Float, x: UnsafePointer<Float>, rows: Int, cols: Int, ldx: Int,
        out: UnsafeMutablePointer<Float>, ldOut: Int? = nil, accumulate: Bool = false
    ) {
        var state = seed
        let keepScale = Self.keepScale(p)
        let threshold = UInt64(Self.threshold(p))
        let ldo = ldOut ?? cols
        @inline(__always) func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        @inline(__always) func factor(_ z: UInt64, _ lane: UInt64) -> Float {
            (z &>> (16 &* lane)) & 0xFFFF < threshold ? 0 : keepScale
        }
        let quads = cols / 4
        for r in 0..<rows {
            let xr = x + r * ldx, o = out + r * ldo
            // Whole draws of four lanes, branch-free.
            for q in 0..<quads {
                let z = next(), c = 4 &* q
                let f = SIMD4<Float>(factor(z, 0), factor(z, 1), factor(z, 2), factor(z, 3))
                let v = SIMD4<Float>(xr[c], xr[c &+ 1], xr[c &+ 2], xr[c &+ 3]) * f
                if accumulate {
                    o[c] += v[0]; o[c &+ 1] += v[1]; o[c &+ 2] += v[2]; o[c &+ 3] += v[3]
                } else {
                    o[c] = v[0]; o[c &+ 1] = v[1]; o[c &+ 2] = v[2]; o[c &+ 3] = v[3]
                }
            }
            if 4 * quads < cols {  // the tail takes the low lanes of one more draw
                let z = next()
                for c in (4 * quads)..<cols {
                    let v = xr[c] * factor(z, UInt64(c - 4 * quads))
                    o[c] = accumulate ? o[c] + v : v
                }
            }
        }
    }
}

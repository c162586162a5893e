/// A tiny seeded generator (SplitMix64) that regenerates the same dropout mask in backward from
/// the seed saved in forward, so masks cost no memory.
struct DropoutStream {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Writes `x * mask / keep` into `out` for `count` values (mask ~ Bernoulli(keep)), reading
    /// `x` as `rows` rows of `cols` with leading dimension `ldx`; `out` is dense `[rows, cols]`.
    static func apply(seed: UInt64, probability p: Float, x: UnsafePointer<Float>, rows: Int, cols: Int, ldx: Int,
                      out: UnsafeMutablePointer<Float>) {
        var stream = DropoutStream(seed: seed)
        let keepScale = 1 / (1 - p)
        // Threshold on 24-bit uniforms: drop when u < p.
        let threshold = UInt64((Double(p) * 16_777_216).rounded())
        for r in 0..<rows {
            let xr = x + r * ldx, o = out + r * cols
            var c = 0
            while c < cols {
                let bits = stream.next()
                // Two 24-bit uniforms per draw.
                let u0 = bits >> 40, u1 = (bits >> 16) & 0xFF_FFFF
                o[c] = u0 < threshold ? 0 : xr[c] * keepScale
                if c + 1 < cols { o[c + 1] = u1 < threshold ? 0 : xr[c + 1] * keepScale }
                c += 2
            }
        }
    }
}

/// LoRA dropout masks drawn from a tiny seeded generator (SplitMix64), regenerated in backward
/// from the seed the forward used, so masks cost no memory. Each 64-bit draw gives four 16-bit
/// uniforms: an element is dropped when its uniform is below p * 2^16 (p = 0.05 becomes
/// 3277 / 65536 = 0.050003).
enum DropoutMask {
    /// Writes `x * mask / keep` into `out` for `rows` rows of `cols` values (mask ~ Bernoulli(keep)),
    /// reading `x` with leading dimension `ldx`; `out` is dense `[rows, cols]` and may be `x`
    /// itself when `ldx == cols`.
    static func apply(seed: UInt64, probability p: Float, x: UnsafePointer<Float>, rows: Int, cols: Int, ldx: Int,
                      out: UnsafeMutablePointer<Float>) {
        var state = seed
        let keepScale = 1 / (1 - p)
        let threshold = UInt64((Double(p) * 65_536).rounded())
        for r in 0..<rows {
            let xr = x + r * ldx, o = out + r * cols
            var c = 0
            while c < cols {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                for k in 0..<Swift.min(4, cols - c) {
                    o[c + k] = (z >> (16 * UInt64(k))) & 0xFFFF < threshold ? 0 : xr[c + k] * keepScale
                }
                c += 4
            }
        }
    }
}

/// How many samples a ratio selects from a client's n samples.
///
/// - `count(of:ratio:)`: max(1, floor(n * ratio)) for n >= 1, 0 for n = 0 (the old per-client rule:
///   a client with 11 samples at 1.5% trains on 1, i.e. 9%).
/// - `stochasticCount`: floor(n * ratio), plus one with probability frac(n * ratio), so the
///   expected count is exactly n * ratio and the expected total over a federation is ratio times
///   its total; a client may draw 0 (it then trains on nothing that round).
public enum RatioCount {
    public static func count(of n: Int, ratio: Double) throws -> Int {
        try check(ratio)
        guard n > 0 else { return 0 }
        return max(1, min(n, Int((Double(n) * ratio).rounded(.down))))
    }

    /// floor(n * ratio) + (u < frac(n * ratio) ? 1 : 0), for `u` uniform in [0, 1).
    public static func stochasticCount(of n: Int, ratio: Double, uniform u: Double) throws -> Int {
        try check(ratio)
        guard u >= 0, u < 1 else { throw SelectionError.invalidParameter("uniform draw \(u) must be in [0, 1)") }
        guard n > 0 else { return 0 }
        let x = Double(n) * ratio
        let whole = x.rounded(.down)
        return min(n, Int(whole) + (u < x - whole ? 1 : 0))
    }

    /// `stochasticCount` with its uniform draw taken from `rng`.
    public static func stochasticCount(of n: Int, ratio: Double, using rng: inout some RandomNumberGenerator) throws
        -> Int
    {
        try stochasticCount(of: n, ratio: ratio, uniform: Double.random(in: 0..<1, using: &rng))
    }

    /// The count under `rounding` (`rng` is used only by `.stochastic`).
    public static func count(
        of n: Int, ratio: Double, rounding: RatioRounding,
        using rng: inout some RandomNumberGenerator
    ) throws -> Int {
        switch rounding {
        case .stochastic: return try stochasticCount(of: n, ratio: ratio, using: &rng)
        case .floorMin1: return try count(of: n, ratio: ratio)
        }
    }

    static func check(_ ratio: Double) throws {
        guard ratio > 0, ratio <= 1 else { throw SelectionError.invalidParameter("ratio \(ratio) must be in (0, 1]") }
    }
}

/// The Random baseline: a seeded uniform sample of local samples; `select` takes
/// max(1, floor(n * ratio)) of them, `sample` a given count (e.g. `RatioCount.stochasticCount`).
public struct RandomSelector: Sendable {
    public var ratio: Double

    public init(ratio: Double) { self.ratio = ratio }

    /// Indices of the chosen samples out of `count`, in random order.
    public func select(count n: Int, using rng: inout some RandomNumberGenerator) throws -> [Int] {
        Self.sample(try RatioCount.count(of: n, ratio: ratio), of: n, using: &rng)
    }

    /// `k` distinct indices of 0..<n, uniformly at random, in random order (k is clamped to 0...n).
    public static func sample(_ k: Int, of n: Int, using rng: inout some RandomNumberGenerator) -> [Int] {
        let k = max(0, min(k, n))
        var all = Array(0..<n)
        // Partial Fisher-Yates: the first k positions are a uniform sample.
        for i in 0..<k {
            let j = Int.random(in: i..<n, using: &rng)
            all.swapAt(i, j)
        }
        return Array(all.prefix(k))
    }
}

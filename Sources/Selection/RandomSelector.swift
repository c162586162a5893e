/// The Random baseline: a seeded uniform sample of max(1, floor(n * ratio)) local samples.
public struct RandomSelector: Sendable {
    public var ratio: Double

    public init(ratio: Double) { self.ratio = ratio }

    /// Indices of the chosen samples out of `count`, in random order.
    public func select(count n: Int, using rng: inout some RandomNumberGenerator) throws -> [Int] {
        let k = try RatioCount.count(of: n, ratio: ratio)
        var all = Array(0..<n)
        // Partial Fisher-Yates: the first k positions are a uniform sample.
        for i in 0..<k {
            let j = Int.random(in: i..<n, using: &rng)
            all.swapAt(i, j)
        }
        return Array(all.prefix(k))
    }
}

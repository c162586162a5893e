/// Full data (FedIT, FedAvg, ...): every local sample, optionally shuffled.
public struct FullDataSelector: Sendable {
    public init() {}

    public func select(count n: Int) -> [Int] { Array(0..<max(n, 0)) }

    public func select(count n: Int, shuffledWith rng: inout some RandomNumberGenerator) -> [Int] {
        var all = select(count: n)
        all.shuffle(using: &rng)
        return all
    }
}

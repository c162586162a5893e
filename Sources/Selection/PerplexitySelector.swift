/// The Perplexity baseline: the max(1, floor(n * ratio)) samples with the lowest perplexity
/// (scores computed by the model), lowest index first on ties.
public struct PerplexitySelector: Sendable {
    public var ratio: Double

    public init(ratio: Double) { self.ratio = ratio }

    public func select(perplexities: [Double]) throws -> [Int] {
        for (i, p) in perplexities.enumerated() where !p.isFinite {
            throw SelectionError.nonFiniteValue(matrix: "perplexities", row: i, column: 0)
        }
        let k = try RatioCount.count(of: perplexities.count, ratio: ratio)
        let order = perplexities.indices.sorted { a, b in
            perplexities[a] != perplexities[b] ? perplexities[a] < perplexities[b] : a < b
        }
        return Array(order.prefix(k))
    }
}

/// The Perplexity baseline: the samples with the lowest perplexity (scores computed by the model),
/// lowest index first on ties; `select` takes max(1, floor(n * ratio)) of them, `lowest` a given count.
public struct PerplexitySelector: Sendable {
    public var ratio: Double

    public init(ratio: Double) { self.ratio = ratio }

    public func select(perplexities: [Double]) throws -> [Int] {
        try Self.lowest(try RatioCount.count(of: perplexities.count, ratio: ratio), of: perplexities)
    }

    /// The `k` samples with the lowest perplexity (k clamped to 0...count), lowest index first on ties.
    public static func lowest(_ k: Int, of perplexities: [Double]) throws -> [Int] {
        for (i, p) in perplexities.enumerated() where !p.isFinite {
            throw SelectionError.nonFiniteValue(matrix: "perplexities", row: i, column: 0)
        }
        let k = max(0, min(k, perplexities.count))
        let order = perplexities.indices.sorted { a, b in
            perplexities[a] != perplexities[b] ? perplexities[a] < perplexities[b] : a < b
        }
        return Array(order.prefix(k))
    }
}

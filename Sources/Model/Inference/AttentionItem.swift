/// A unit of attention work for `ck_attend_rows`: rows `first ..< first + count` of one sequence
/// (span), each attending its causal prefix. Long sequences are split into row ranges of about
/// equal work (row i of a span costs `past + i + 1` keys), so the cores share a single long
/// prompt as well as many short ones.
struct AttentionItem: Equatable {
    var span: Int
    var first: Int
    var count: Int

    /// (query row, key) pairs per item above which a sequence is split.
    static let targetWork = 16_384

    /// The items of `spans` (in span order, rows ascending). With one worker every span is one item.
    static func split(_ spans: [Decoder.Span], workers: Int) -> [AttentionItem] {
        var items: [AttentionItem] = []
        for (si, s) in spans.enumerated() {
            // Work of rows 0 ..< r: sum over i of (past + i + 1).
            func work(_ r: Int) -> Int { r * s.past + r * (r + 1) / 2 }
            let total = work(s.count)
            let parts = workers > 1 ? max(1, min(s.count, total / targetWork)) : 1
            var first = 0
            for p in 1...parts {
                // The smallest row end whose cumulative work reaches p / parts of the total.
                let goal = total * p / parts
                var end = first
                while end < s.count && work(end) < goal { end += 1 }
                if p == parts { end = s.count }
                if end > first { items.append(AttentionItem(span: si, first: first, count: end - first)) }
                first = end
            }
        }
        return items
    }
}

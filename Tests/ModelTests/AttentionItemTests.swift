import Testing
@testable import Model

/// The split of attention work into row ranges (`AttentionItem.split`).
@Suite struct AttentionItemTests {
    @Test func itemsCoverEveryRowOnceInOrderWithBalancedWork() {
        let spans = [
            Decoder.Span(offset: 0, count: 1, past: 40), Decoder.Span(offset: 1, count: 700, past: 0),
            Decoder.Span(offset: 701, count: 3, past: 0), Decoder.Span(offset: 704, count: 300, past: 200)
        ]
        for workers in [1, 2, 8] {
            let items = AttentionItem.split(spans, workers: workers)
            for (si, s) in spans.enumerated() {
                let mine = items.filter { $0.span == si }
                #expect(!mine.isEmpty)
                var next = 0
                for item in mine {
                    #expect(item.first == next && item.count > 0)
                    next = item.first + item.count
                }
                #expect(next == s.count, "span \(si) workers \(workers)")
                if workers == 1 { #expect(mine.count == 1) }
            }
            if workers > 1 {
                // The 700-token prompt: 700 * 701 / 2 = 245350 pairs -> 14 items of about 17.5k pairs each.
                let long = items.filter { $0.span == 1 }
                #expect(long.count == 245_350 / AttentionItem.targetWork)
                let work = long.map { item in (item.first..<(item.first + item.count)).reduce(0) { $0 + $1 + 1 } }
                #expect(work.max()! - work.min()! <= 2 * 700, "\(work)")
            }
        }
    }
}

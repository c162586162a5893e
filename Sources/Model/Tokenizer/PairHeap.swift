/// A binary max-heap of candidate merges: highest priority first, then leftmost.
struct PairHeap {
    struct Entry {
        var priority: Double
        var left: Int
        var right: Int
        var leftId: Int32
        var rightId: Int32
    }

    private var items: [Entry] = []

    @inline(__always)
    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.priority > b.priority || (a.priority == b.priority && a.left < b.left)
    }

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.before(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var best = i
                if l < items.count && Self.before(items[l], items[best]) { best = l }
                if r < items.count && Self.before(items[r], items[best]) { best = r }
                if best == i { break }
                items.swapAt(i, best)
                i = best
            }
        }
        return top
    }
}

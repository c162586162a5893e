/// A first-in-first-out queue in a ring of slots whose number is a power of two; grows by doubling
/// and gives its storage back when it empties after having grown large. Not thread-safe.
struct Ring<Element> {
    private var slots: [Element?] = []
    private var head = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func append(_ element: Element) {
        if count == slots.count { grow() }
        slots[(head + count) & (slots.count - 1)] = element
        count += 1
    }

    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        var element: Element? = nil
        swap(&element, &slots[head])
        head = (head + 1) & (slots.count - 1)
        count -= 1
        if count == 0 {
            head = 0
            if slots.count > Ring.keptSlots { slots = [] }  // a burst is over: do not hold its storage
        }
        return element
    }

    /// Slots kept while empty; a ring grown beyond them is released when it empties.
    private static var keptSlots: Int { 4096 }

    private mutating func grow() {
        let size = max(16, slots.count * 2)
        var bigger = [Element?](repeating: nil, count: size)
        for i in 0..<count { swap(&bigger[i], &slots[(head + i) & (slots.count - 1)]) }
        slots = bigger
        head = 0
    }
}

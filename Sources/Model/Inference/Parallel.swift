import Dispatch

/// Runs work items of one call on the cores (`DispatchQueue.concurrentPerform`). The items
/// write disjoint parts of buffers owned by the caller, which waits for all of them, so the
/// closure need not be `Sendable`.
enum Parallel {
    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count == 1 { body(0); return }
        guard count > 1 else { return }
        withoutActuallyEscaping(body) { escapable in
            nonisolated(unsafe) let work = escapable
            DispatchQueue.concurrentPerform(iterations: count) { work($0) }
        }
    }
}

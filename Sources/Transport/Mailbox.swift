import Synchronization

/// What `Mailbox.push` did with an element.
enum MailboxPush: Equatable {
    /// Taken (by the waiting consumer, or into the buffer); `remaining` more fit before it is full.
    case enqueued(remaining: Int)
    /// Not taken: the buffer holds `capacity` elements. The producer keeps it and offers it again
    /// later (back-pressure; nothing is dropped).
    case full
    /// Not taken: the mailbox has finished (closed, or its consumer was cancelled).
    case finished
}

/// The hand-over of incoming messages and events from a socket thread (or in-process senders) to
/// the one task that consumes them: a lock, a ring buffer and at most one waiting continuation.
/// `next` takes a buffered element without suspending; only an empty mailbox makes the consumer
/// wait, and `push` resumes it directly with the element. Specialised to each element type inside
/// this module (no generic stream machinery on the path of a message); exposed as `ServerEvents`
/// and `IncomingMessages`.
///
/// Behaves as `AsyncStream` / `AsyncThrowingStream` did here: elements arrive in push order;
/// bounded by `capacity` (`push` answers `.full` instead of dropping, and the producer holds the
/// element back); `finish(throwing:)` lets the consumer take what is buffered, then ends it with
/// nil, or with the error once and nil after that; cancelling the consuming task finishes the
/// mailbox (a waiting `next` returns nil at once, later pushes answer `.finished`). One consumer at
/// a time: two tasks waiting in `next` together is a programming error and traps, as with
/// `AsyncStream`.
final class Mailbox<Element: Sendable>: Sendable {
    private struct State {
        var buffer = Ring<Element>()
        /// The consumer waiting in `next`; only ever set while the buffer is empty.
        var waiter: UnsafeContinuation<Element?, Never>? = nil
        var finished = false
        /// The error the mailbox finished with, until the consumer has taken it.
        var failure: (any Error)? = nil
    }

    private let state = Mutex(State())
    /// At most this many elements are buffered (Int.max: unbounded).
    let capacity: Int

    init(capacity: Int = .max) {
        self.capacity = max(1, capacity)
    }

    /// Hands `element` to the waiting consumer, or buffers it when there is room.
    func push(_ element: Element) -> MailboxPush {
        let (result, waiter) = state.withLock { s -> (MailboxPush, UnsafeContinuation<Element?, Never>?) in
            if s.finished { return (.finished, nil) }
            if let waiter = s.waiter {
                s.waiter = nil
                return (.enqueued(remaining: capacity), waiter)
            }
            if s.buffer.count >= capacity { return (.full, nil) }
            s.buffer.append(element)
            return (.enqueued(remaining: capacity - s.buffer.count), nil)
        }
        waiter?.resume(returning: element)  // outside the lock: the consumer may run here at once
        return result
    }

    /// Ends the mailbox (the first call wins): the consumer still takes what is buffered, then gets
    /// nil, or `error` (`IncomingMessages` throws it once) and nil after that.
    func finish(throwing error: (any Error)? = nil) {
        let waiter = state.withLock { s -> UnsafeContinuation<Element?, Never>? in
            guard !s.finished else { return nil }
            s.finished = true
            s.failure = error
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next element; nil once the mailbox has finished and its buffer is empty. Runs in the
    /// caller's isolation (no executor hop); suspends only when nothing is buffered.
    func next(isolation actor: isolated (any Actor)?) async -> Element? {
        let cancelled = Task.isCancelled
        let (element, finished) = state.withLock { s -> (Element?, Bool) in
            if cancelled { s.finished = true }  // as the handler below would (no waiter can exist: we are the consumer)
            return (s.buffer.popFirst(), s.finished)
        }
        if element != nil || finished { return element }
        return await withTaskCancellationHandler(
            operation: {
                await withUnsafeContinuation(isolation: actor) { (c: UnsafeContinuation<Element?, Never>) in
                    // Elements may have arrived (or the mailbox finished) since the look above.
                    let now = state.withLock { s -> Element?? in
                        if let element = s.buffer.popFirst() { return .some(element) }
                        if s.finished { return .some(nil) }
                        if s.waiter != nil {
                            preconditionFailure("two tasks wait in next() of one mailbox; it has one consumer")
                        }
                        s.waiter = c
                        return .none
                    }
                    if let now { c.resume(returning: now) }
                }
            },
            onCancel: {
                finish()
            }, isolation: actor)
    }

    /// After `next` returned nil: the error the mailbox finished with, once; nil when it finished
    /// without one or the error was taken already.
    func takeFailure() -> (any Error)? {
        state.withLock { s in
            defer { s.failure = nil }
            return s.failure
        }
    }

    /// How many elements are buffered (for tests).
    var count: Int { state.withLock { $0.buffer.count } }

    /// Whether the consumer is waiting in `next` (for tests).
    var hasWaiter: Bool { state.withLock { $0.waiter != nil } }
}

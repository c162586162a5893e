import Synchronization

/// One message waiting for its socket thread: to whom (server side), its frames, and the
/// continuation of the `send` call to resume once libzmq has it (or with the error).
struct OutboundSend: Sendable {
    let peer: String
    let type: MessageType
    let frames: [[UInt8]]
    let deadline: ContinuousClock.Instant
    let continuation: CheckedContinuation<Void, any Error>?

    var byteCount: Int { frames.reduce(0) { $0 + $1.count } }

    func succeed() { continuation?.resume() }
    func fail(_ error: TransportError) { continuation?.resume(throwing: error) }
}

/// Sends queued by any thread for one socket thread; the first push into an empty queue wakes it.
final class OutboundQueue: Sendable {
    let signal: EventSignal
    private let state = Mutex<(items: [OutboundSend], closed: Bool)>(([], false))

    init() throws { signal = try EventSignal() }

    /// Queues `item`; false when the queue was closed (the item was not queued).
    func push(_ item: OutboundSend) -> Bool {
        let (accepted, wasEmpty) = state.withLock { s -> (Bool, Bool) in
            if s.closed { return (false, false) }
            s.items.append(item)
            return (true, s.items.count == 1)
        }
        if wasEmpty { signal.signal() }
        return accepted
    }

    func drain() -> [OutboundSend] {
        state.withLock { s in
            defer { s.items.removeAll(keepingCapacity: true) }
            return s.items
        }
    }

    /// Closes the queue and returns what was still in it.
    func close() -> [OutboundSend] {
        state.withLock { s in
            s.closed = true
            defer { s.items = [] }
            return s.items
        }
    }
}

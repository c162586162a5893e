import Synchronization

/// One encoded message waiting for its socket thread, and to whom it goes (server side).
struct OutboundSend: Sendable {
    let peer: String
    let type: MessageType
    let frames: [WireFrame]
    let deadline: ContinuousClock.Instant

    var byteCount: Int { frames.reduce(0) { $0 + $1.byteCount } }
}

/// Sends queued by any thread for one socket thread. `push` never blocks: the first push into an
/// empty queue wakes the thread, and a sender whose push filled the queue past its capacity waits
/// in `waitForRoom` until the thread has taken the queue (backpressure that never blocks a thread).
final class OutboundQueue: Sendable {
    /// At most this many messages or bytes before senders wait.
    static let capacityMessages = 4096
    static let capacityBytes = 64 << 20

    let signal: EventSignal
    private struct State {
        var items: [OutboundSend] = []
        var bytes = 0
        var closedWith: TransportError? = nil
        var roomWaiters: [CheckedContinuation<Void, any Error>] = []
        var full: Bool { items.count >= OutboundQueue.capacityMessages || bytes >= OutboundQueue.capacityBytes }
    }
    private let state = Mutex(State())

    init() throws { signal = try EventSignal() }

    /// Queues `item`. Returns true when the sender should `waitForRoom()`; throws the error the
    /// queue was closed with.
    func push(_ item: OutboundSend) throws -> Bool {
        let (wasEmpty, full) = try state.withLock { s -> (Bool, Bool) in
            if let e = s.closedWith { throw e }
            s.items.append(item)
            s.bytes += item.byteCount
            return (s.items.count == 1, s.full)
        }
        if wasEmpty { signal.signal() }
        return full
    }

    /// Returns once the queue is below capacity (or throws when it was closed).
    func waitForRoom() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { s -> Result<Bool, TransportError> in
                if let e = s.closedWith { return .failure(e) }
                if !s.full { return .success(true) }
                s.roomWaiters.append(c)
                return .success(false)
            }
            switch outcome {
            case .failure(let e): c.resume(throwing: e)
            case .success(true): c.resume()
            case .success(false): break
            }
        }
    }

    /// Takes everything queued and lets waiting senders go on.
    func drain() -> [OutboundSend] {
        let (items, waiters) = state.withLock { s -> ([OutboundSend], [CheckedContinuation<Void, any Error>]) in
            let items = s.items
            s.items.removeAll(keepingCapacity: true)
            s.bytes = 0
            let w = s.roomWaiters
            s.roomWaiters = []
            return (items, w)
        }
        for w in waiters { w.resume() }
        return items
    }

    /// Closes the queue: later pushes throw `error`; returns what was still queued.
    func close(with error: TransportError) -> [OutboundSend] {
        let (items, waiters) = state.withLock { s -> ([OutboundSend], [CheckedContinuation<Void, any Error>]) in
            if s.closedWith == nil { s.closedWith = error }
            let items = s.items
            s.items = []
            s.bytes = 0
            let w = s.roomWaiters
            s.roomWaiters = []
            return (items, w)
        }
        for w in waiters { w.resume(throwing: error) }
        return items
    }
}

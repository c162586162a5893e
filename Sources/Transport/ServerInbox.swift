/// Waits for replies on any `ServerEndpoint`: it consumes the endpoint's events and hands each
/// message to the first pending request that matches it (else buffers it). A pending request for
/// a peer fails with `TransportError.peerLost` as soon as that peer is lost (disconnect or lease
/// expiry, so within the configured lease), with `.timeout` after its own time limit, with
/// `.closed` when the endpoint closes, and with `CancellationError` when its task is cancelled.
///
///     let inbox = ServerInbox(server)
///     let reply = try await inbox.next(from: peer, timeout: .seconds(600)) {
///         if case let .update(u) = $0 { return u.round == round } else { return false }
///     }
public actor ServerInbox {
    private struct Waiter {
        let id: Int
        let peer: PeerID?
        let match: @Sendable (Message) -> Bool
        let continuation: CheckedContinuation<(PeerID, Message), any Error>
    }

    /// Unclaimed messages in arrival order: `buffer[head...]` (a queue that pops from the front cheaply).
    private var buffer: [(PeerID, Message)] = []
    private var head = 0
    private var waiters: [Waiter] = []
    /// The timers of pending waits, cancelled when the wait ends otherwise.
    private var timers: [Int: Task<Void, Never>] = [:]
    private var nextID = 0
    private var ended = false
    /// Peers lost and not heard from again since.
    public private(set) var lostPeers: [PeerID: TransportError] = [:]
    /// Frame sets that did not decode, in arrival order.
    public private(set) var rejected: [(PeerID?, TransportError)] = []

    public init(_ endpoint: any ServerEndpoint) {
        let events = endpoint.events
        Task { [weak self] in
            for await event in events {
                guard let self else { return }
                await self.handle(event)
            }
            await self?.finish()
        }
    }

    /// The next message from `peer` that satisfies `match`.
    public func next(
        from peer: PeerID, timeout: Duration,
        where match: @escaping @Sendable (Message) -> Bool = { _ in true }
    ) async throws -> Message {
        try await wait(peer: peer, timeout: timeout, match: match).1
    }

    /// The next message from any peer that satisfies `match`.
    public func next(
        timeout: Duration,
        where match: @escaping @Sendable (Message) -> Bool = { _ in true }
    ) async throws -> (PeerID, Message) {
        try await wait(peer: nil, timeout: timeout, match: match)
    }

    private func wait(peer: PeerID?, timeout: Duration, match: @escaping @Sendable (Message) -> Bool) async throws -> (
        PeerID, Message
    ) {
        if let i = buffer[head...].firstIndex(where: { (peer == nil || $0.0 == peer) && match($0.1) }) {
            return take(i)
        }
        if let peer, let error = lostPeers[peer] { throw error }
        if ended { throw TransportError.closed }
        nextID += 1
        let id = nextID
        // Every way out (match, loss, timeout, close, cancellation) first removes the waiter on
        // this actor, so its continuation is resumed exactly once.
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { c in
                if Task.isCancelled {  // cancelled before it could wait: the handler found nothing
                    c.resume(throwing: CancellationError())
                    return
                }
                waiters.append(Waiter(id: id, peer: peer, match: match, continuation: c))
                timers[id] = Task { [weak self] in
                    guard (try? await Task.sleep(for: timeout)) != nil else { return }
                    await self?.expire(id, after: timeout, peer: peer)
                }
            }
        } onCancel: {
            Task { await self.cancelWait(id) }
        }
    }

    private func cancelWait(_ id: Int) {
        guard let i = waiters.firstIndex(where: { $0.id == id }) else { return }
        let w = waiters.remove(at: i)
        timers.removeValue(forKey: id)?.cancel()
        w.continuation.resume(throwing: CancellationError())
    }

    private func take(_ i: Int) -> (PeerID, Message) {
        let item = buffer[i]
        if i == head {
            head += 1
            if head > 1024 && head * 2 > buffer.count {
                buffer.removeFirst(head)
                head = 0
            }
        } else {
            buffer.remove(at: i)
        }
        return item
    }

    private func expire(_ id: Int, after timeout: Duration, peer: PeerID?) {
        timers.removeValue(forKey: id)
        guard let i = waiters.firstIndex(where: { $0.id == id }) else { return }
        let w = waiters.remove(at: i)
        w.continuation.resume(
            throwing: TransportError.timeout("no matching message from \(peer?.name ?? "any peer") within \(timeout)"))
    }

    private func handle(_ event: ServerEvent) {
        switch event {
        case let .message(peer, message):
            lostPeers.removeValue(forKey: peer)
            if let i = waiters.firstIndex(where: { ($0.peer == nil || $0.peer == peer) && $0.match(message) }) {
                let w = waiters.remove(at: i)
                timers.removeValue(forKey: w.id)?.cancel()
                w.continuation.resume(returning: (peer, message))
            } else {
                buffer.append((peer, message))
            }
        case let .peerLost(peer, error):
            lostPeers[peer] = error
            let failing = waiters.filter { $0.peer == peer }
            waiters.removeAll { $0.peer == peer }
            for w in failing {
                timers.removeValue(forKey: w.id)?.cancel()
                w.continuation.resume(throwing: error)
            }
        case let .rejected(peer, error):
            rejected.append((peer, error))
        }
    }

    private func finish() {
        ended = true
        let all = waiters
        waiters = []
        for w in all {
            timers.removeValue(forKey: w.id)?.cancel()
            w.continuation.resume(throwing: TransportError.closed)
        }
    }
}

/// One encoded message that could not be sent at once, and to whom it goes ("server" on a worker).
struct OutboundSend: Sendable {
    let peer: String
    let type: MessageType
    let frames: [WireFrame]
    let deadline: ContinuousClock.Instant

    var byteCount: Int { frames.reduce(0) { $0 + $1.byteCount } }
}

/// The sends a socket could not take at once (its high-water mark was reached), kept in order for
/// the socket thread to retry, and the senders waiting for room. Not thread-safe: a socket loop
/// touches it only while holding its lock. Most sends never land here: the sending task hands
/// them to libzmq itself.
struct OutboundQueue {
    /// At most this many messages or bytes before senders wait.
    static let capacityMessages = 4096
    static let capacityBytes = 64 << 20

    private(set) var items: [OutboundSend] = []
    private(set) var bytes = 0
    /// How many queued items each peer has: a peer with any must queue later sends too (order).
    private var perPeer: [String: Int] = [:]
    private var roomWaiters: [CheckedContinuation<Void, any Error>] = []
    /// Set once when the loop ends; later sends throw it.
    private(set) var closedWith: TransportError? = nil

    var isEmpty: Bool { items.isEmpty }
    var isFull: Bool { items.count >= OutboundQueue.capacityMessages || bytes >= OutboundQueue.capacityBytes }
    func holds(peer: String) -> Bool { perPeer[peer] != nil }

    mutating func append(_ item: OutboundSend) {
        items.append(item)
        bytes += item.byteCount
        perPeer[item.peer, default: 0] += 1
    }

    /// Queues `item` (the socket held it back, or earlier sends to its peer wait) and wakes the
    /// socket thread through `signal`; true when the sender must wait for room
    /// (`HeldBackSending.waitForRoom`).
    mutating func holdBack(_ item: OutboundSend, waking signal: EventSignal) -> Bool {
        append(item)
        signal.signal()
        return isFull
    }

    /// Replaces the queue with `kept` (the items the loop could not send yet, in order); lets
    /// waiting senders go on once there is room.
    mutating func replace(with kept: [OutboundSend]) {
        items = kept
        bytes = kept.reduce(0) { $0 + $1.byteCount }
        perPeer = [:]
        for item in kept { perPeer[item.peer, default: 0] += 1 }
        if !isFull { releaseWaiters(nil) }
    }

    /// Drops everything queued for `peer`.
    mutating func removeAll(for peer: String) {
        guard perPeer[peer] != nil else { return }
        replace(with: items.filter { $0.peer != peer })
    }

    /// Resumes `c` now when there is room or the queue is closed, else when there is room.
    mutating func waitForRoom(_ c: CheckedContinuation<Void, any Error>) {
        if let e = closedWith { c.resume(throwing: e) } else if !isFull { c.resume() } else { roomWaiters.append(c) }
    }

    /// Closes the queue: drops what it holds, fails waiting senders and later sends with `error`.
    mutating func close(with error: TransportError) {
        if closedWith == nil { closedWith = error }
        items = []
        bytes = 0
        perPeer = [:]
        releaseWaiters(closedWith)
    }

    private mutating func releaseWaiters(_ error: TransportError?) {
        let waiters = roomWaiters
        roomWaiters = []
        for w in waiters {
            if let error { w.resume(throwing: error) } else { w.resume() }
        }
    }
}

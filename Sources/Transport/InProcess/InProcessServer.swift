import Foundation
import Synchronization

/// The in-process server endpoint: no sockets; workers made by `connectWorker` deliver encoded
/// frames straight into its event stream (messages are still encoded and decoded, so byte counts,
/// audit logs and checks are the same as over ZeroMQ).
///
///     let server = InProcessServer()
///     let worker = try server.connectWorker(name: "worker-0")
///
/// Liveness as over ZeroMQ, with the heartbeats kept as timestamps by a thread of the server's
/// (so busy cooperative threads never delay them): a worker whose endpoint still exists (and is
/// not closed) heartbeats, the server answers; a worker released without `close()` falls silent,
/// and after `liveness.lease` the server reports `.peerLost` for it (failing its pending
/// requests in a `ServerInbox`); a worker that hears nothing from the server for the lease ends
/// its `incoming` with `peerLost`. A worker that was declared lost and sends again is taken back.
///
/// `events` holds at most `eventCapacity` events; when full, a worker's `send` waits until the
/// consumer has taken some (back-pressure; nothing is dropped).
public final class InProcessServer: ServerEndpoint {
    public let events: ServerEvents
    public let traffic = TrafficCounters()
    public let liveness: Liveness
    let limits: CodecLimits
    private let mailbox: Mailbox<ServerEvent>
    private struct Entry {
        weak var worker: InProcessWorker?
        var lastSeen: ContinuousClock.Instant
    }
    private struct State {
        var workers: [String: Entry] = [:]
        /// Peers lost, with why.
        var lost: [String: String] = [:]
        var closed = false
        /// Loss events the full stream did not take yet, oldest first.
        var stalled: [ServerEvent] = []
        /// Test hook: the server stops answering heartbeats (a hung server).
        var silent = false
    }
    private let state = Mutex(State())

    /// A server with the standard liveness and room for 1,024 unconsumed events.
    public convenience init(limits: CodecLimits = .standard) {
        self.init(limits: limits, checkedLiveness: .standard, eventCapacity: 1024)
    }

    /// A server with the given liveness and event capacity; throws when either is invalid.
    public convenience init(limits: CodecLimits = .standard, liveness: Liveness, eventCapacity: Int = 1024) throws {
        try liveness.validate()
        guard eventCapacity > 0 else { throw TransportError.invalidConfiguration("event capacity must be positive") }
        self.init(limits: limits, checkedLiveness: liveness, eventCapacity: eventCapacity)
    }

    private init(limits: CodecLimits, checkedLiveness liveness: Liveness, eventCapacity: Int) {
        self.limits = limits
        self.liveness = liveness
        mailbox = Mailbox(capacity: eventCapacity)
        events = ServerEvents(mailbox)
        let tick = max(0.002, min(0.1, InProcessServer.seconds(liveness.heartbeatInterval) / 2))
        let thread = Thread { [weak self] in
            while self?.tick(.now) ?? false {
                Thread.sleep(forTimeInterval: tick)
            }
        }
        thread.name = "fedhds-inprocess-liveness"
        thread.start()
    }

    /// A new worker endpoint connected to this server under `name` (its `PeerID`).
    /// `audit` records everything the worker sends.
    public func connectWorker(name: String, audit: WireAuditLog? = nil) throws -> InProcessWorker {
        let worker = InProcessWorker(name: name, server: self, audit: audit, limits: limits)
        try state.withLock { s in
            if s.closed { throw TransportError.closed }
            guard s.workers[name]?.worker == nil else {
                throw TransportError.invalidConfiguration("worker name '\(name)' is already connected")
            }
            s.workers[name] = Entry(worker: worker, lastSeen: .now)
            s.lost.removeValue(forKey: name)
        }
        return worker
    }

    public func send(_ message: Message, to peer: PeerID) async throws {
        let frames = try MessageCodec.encodeFrames(message)
        let worker = try state.withLock { s -> InProcessWorker in
            if s.closed { throw TransportError.closed }
            if let w = s.workers[peer.name]?.worker { return w }
            if let reason = s.lost[peer.name] { throw TransportError.peerLost(peer: peer.name, reason: reason) }
            if s.workers[peer.name] != nil {
                throw TransportError.peerLost(peer: peer.name, reason: "its endpoint was released without close()")
            }
            throw TransportError.unknownPeer(peer.name)
        }
        traffic.record(message.type, .sent, bytes: frames.reduce(0) { $0 + $1.byteCount })
        worker.deliver(frames)
    }

    public func close() async {
        let workers = state.withLock { s -> [InProcessWorker] in
            if s.closed { return [] }
            s.closed = true
            defer { s.workers = [:] }
            return s.workers.values.compactMap(\.worker)
        }
        for w in workers { w.serverClosed() }
        mailbox.finish()
    }

    /// Called by a worker's `send`: decodes, then hands the message over, waiting while the event
    /// stream is full. A worker declared lost (lease) that sends again is taken back.
    func deliver(from worker: InProcessWorker, _ frames: [WireFrame]) async throws {
        let name = worker.name
        let size = frames.reduce(0) { $0 + $1.byteCount }
        let peer = PeerID(name)
        let event: ServerEvent?
        switch Result(catching: { try MessageCodec.decodeFrames(frames, limits: limits) }) {
        case let .success(message):
            try admit(worker, size: size, type: message.type)
            if case .heartbeat = message { event = nil } else { event = .message(peer, message) }
        case let .failure(e):
            try admit(worker, size: size, type: nil)
            event = .rejected(peer, e as? TransportError ?? .malformed("\(e)"))
        }
        guard let event else { return }
        while true {
            let taken = try state.withLock { s -> Bool in
                if s.closed { throw TransportError.peerLost(peer: "server", reason: "server endpoint closed") }
                guard s.workers[name]?.worker === worker else {
                    throw TransportError.peerLost(
                        peer: "server", reason: "this worker was dropped while its message waited")
                }
                retryStalled(&s)
                guard s.stalled.isEmpty else { return false }
                if mailbox.push(event) == .full { return false }
                return true
            }
            if taken { return }
            try await Task.sleep(for: .milliseconds(1))  // the consumer is behind: back-pressure
        }
    }

    /// Checks `worker` may send, renews its lease (taking it back if it was declared lost) and
    /// counts the message (`type` nil: rejected).
    private func admit(_ worker: InProcessWorker, size: Int, type: MessageType?) throws {
        // A delivered message is contact with a live server, as a drained send is for a ZeroMQ
        // worker: renew the worker's own lease first, so a liveness tick that sees it re-admitted
        // below can never expire it on its stale view of the server.
        worker.heard(at: .now)
        try state.withLock { s in
            if s.closed { throw TransportError.peerLost(peer: "server", reason: "server endpoint closed") }
            let current = s.workers[worker.name]?.worker
            guard current == nil || current === worker else {
                throw TransportError.peerLost(peer: "server", reason: "another worker took the name '\(worker.name)'")
            }
            s.workers[worker.name] = Entry(worker: worker, lastSeen: .now)
            s.lost.removeValue(forKey: worker.name)
        }
        if let type { traffic.record(type, .received, bytes: size) } else { traffic.recordRejected(bytes: size) }
    }

    /// Called by a worker's `close` (or when it gave up on the server).
    func workerClosed(_ worker: InProcessWorker) {
        state.withLock { s in
            guard !s.closed, s.workers[worker.name]?.worker === worker else { return }
            s.workers.removeValue(forKey: worker.name)
            s.lost[worker.name] = "disconnected"
            emit(&s, .peerLost(PeerID(worker.name), .peerLost(peer: worker.name, reason: "disconnected")))
        }
    }

    /// Test hook: the server stops (or resumes) answering heartbeats, as a hung server would.
    func silence(_ on: Bool = true) { state.withLock { $0.silent = on } }

    /// One liveness step: live workers heartbeat (the server answers them), silent ones expire
    /// after the lease; workers check their own lease. Returns false once the server is closed.
    private func tick(_ now: ContinuousClock.Instant) -> Bool {
        let (open, answered) = state.withLock { s -> (Bool, [InProcessWorker]) in
            if s.closed { return (false, []) }
            var answered: [InProcessWorker] = []
            for (name, entry) in s.workers {
                if let w = entry.worker, w.isHeartbeating {
                    s.workers[name]?.lastSeen = now
                    if !s.silent { answered.append(w) }
                } else if now - entry.lastSeen > liveness.lease {
                    let reason = "no message within the lease of \(liveness.lease)"
                    s.workers.removeValue(forKey: name)
                    s.lost[name] = reason
                    emit(&s, .peerLost(PeerID(name), .peerLost(peer: name, reason: reason)))
                }
            }
            retryStalled(&s)
            return (true, answered)
        }
        guard open else { return false }
        for w in answered { w.heard(at: now) }
        let all = state.withLock { s in s.workers.values.compactMap(\.worker) }
        for w in all { w.checkLease(now, lease: liveness.lease) }
        return true
    }

    /// Hands a loss event to the stream, or keeps it in order while the stream is full.
    private func emit(_ s: inout State, _ event: ServerEvent) {
        if s.stalled.isEmpty, mailbox.push(event) == .full {
            s.stalled.append(event)
        } else if !s.stalled.isEmpty {
            s.stalled.append(event)
        }
    }

    private func retryStalled(_ s: inout State) {
        var taken = 0
        for event in s.stalled {
            if mailbox.push(event) == .full { break }
            taken += 1
        }
        if taken > 0 { s.stalled.removeFirst(taken) }
    }

    static func seconds(_ d: Duration) -> Double {
        let (s, atto) = d.components
        return Double(s) + Double(atto) * 1e-18
    }
}

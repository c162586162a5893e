import Synchronization

/// The in-process worker endpoint; made by `InProcessServer.connectWorker(name:audit:)`. While it
/// exists and is open it heartbeats (see `InProcessServer` on liveness); released without
/// `close()`, it falls silent and the server declares it lost after the lease.
public final class InProcessWorker: WorkerEndpoint {
    public let name: String
    public let incoming: IncomingMessages
    public let traffic = TrafficCounters()
    private let server: InProcessServer
    private let audit: WireAuditLog?
    private let limits: CodecLimits
    private let mailbox = Mailbox<Message>()
    private struct State {
        var closedWith: TransportError? = nil
        /// `close()` was called: sends throw `closed` from then on, whatever ended the endpoint.
        var closedByUser = false
        var lastHeard = ContinuousClock.now
        /// Test hook: stops heartbeating, as a hung worker process would.
        var silent = false
    }
    private let state = Mutex(State())

    init(name: String, server: InProcessServer, audit: WireAuditLog?, limits: CodecLimits) {
        self.name = name
        self.server = server
        self.audit = audit
        self.limits = limits
        incoming = IncomingMessages(mailbox)
    }

    /// Sends to the server, waiting while the server's event stream is full.
    public func send(_ message: Message) async throws {
        if let e = state.withLock({ $0.closedByUser ? .closed : $0.closedWith }) { throw e }
        let frames = try MessageCodec.encodeFrames(message)
        audit?.record(message.type, frames: frames)
        traffic.record(message.type, .sent, bytes: frames.reduce(0) { $0 + $1.byteCount })
        try await server.deliver(from: self, frames)
    }

    public func close() async {
        state.withLock { $0.closedByUser = true }
        guard end(with: .closed) else { return }
        server.workerClosed(self)
    }

    /// Ends the endpoint once; `closed` finishes `incoming` normally, any other error throws it there.
    private func end(with error: TransportError) -> Bool {
        let first = state.withLock { s -> Bool in
            guard s.closedWith == nil else { return false }
            s.closedWith = error
            return true
        }
        guard first else { return false }
        mailbox.finish(throwing: error == .closed ? nil : error)
        return true
    }

    /// Called by the server's `send`.
    func deliver(_ frames: [WireFrame]) {
        heard(at: .now)
        let size = frames.reduce(0) { $0 + $1.byteCount }
        guard let message = try? MessageCodec.decodeFrames(frames, limits: limits) else {
            traffic.recordRejected(bytes: size)
            return
        }
        traffic.record(message.type, .received, bytes: size)
        if case .heartbeat = message { return }
        _ = mailbox.push(message)
    }

    /// Called by the server's `close`.
    func serverClosed() {
        _ = end(with: .peerLost(peer: "server", reason: "server endpoint closed"))
    }

    /// The server answered a heartbeat (or sent something).
    func heard(at time: ContinuousClock.Instant) {
        state.withLock { s in if time > s.lastHeard { s.lastHeard = time } }
    }

    /// Whether the worker is open and not silenced (so the server hears its heartbeat).
    var isHeartbeating: Bool { state.withLock { $0.closedWith == nil && !$0.silent } }

    /// Ends the endpoint with `peerLost` when the server was silent for `lease`.
    func checkLease(_ now: ContinuousClock.Instant, lease: Duration) {
        let expired = state.withLock { s in s.closedWith == nil && now - s.lastHeard > lease }
        if expired, end(with: .peerLost(peer: "server", reason: "no message within the lease of \(lease)")) {
            server.workerClosed(self)
        }
    }

    /// Test hook: the worker stops (or resumes) heartbeating, as a hung worker process would.
    func silence(_ on: Bool = true) { state.withLock { $0.silent = on } }
}

import Synchronization

/// The in-process server endpoint: no sockets; workers made by `connectWorker` deliver encoded
/// frames straight into its event stream (messages are still encoded and decoded, so byte counts,
/// audit logs and checks are the same as over ZeroMQ).
///
///     let server = InProcessServer()
///     let worker = try server.connectWorker(name: "worker-0")
public final class InProcessServer: ServerEndpoint {
    public let events: AsyncStream<ServerEvent>
    public let traffic = TrafficCounters()
    let limits: CodecLimits
    private let continuation: AsyncStream<ServerEvent>.Continuation
    private struct State { var workers: [String: InProcessWorker] = [:]; var lost: Set<String> = []; var closed = false }
    private let state = Mutex(State())

    public init(limits: CodecLimits = .standard) {
        self.limits = limits
        (events, continuation) = AsyncStream.makeStream(of: ServerEvent.self)
    }

    /// A new worker endpoint connected to this server under `name` (its `PeerID`).
    /// `audit` records everything the worker sends.
    public func connectWorker(name: String, audit: WireAuditLog? = nil) throws -> InProcessWorker {
        let worker = InProcessWorker(name: name, server: self, audit: audit, limits: limits)
        try state.withLock { s in
            if s.closed { throw TransportError.closed }
            guard s.workers[name] == nil else {
                throw TransportError.invalidConfiguration("worker name '\(name)' is already connected")
            }
            s.workers[name] = worker
            s.lost.remove(name)
        }
        return worker
    }

    public func send(_ message: Message, to peer: PeerID) async throws {
        let frames = try MessageCodec.encodeFrames(message)
        let worker = try state.withLock { s -> InProcessWorker in
            if s.closed { throw TransportError.closed }
            if let w = s.workers[peer.name] { return w }
            if s.lost.contains(peer.name) { throw TransportError.peerLost(peer: peer.name, reason: "disconnected") }
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
            return Array(s.workers.values)
        }
        for w in workers { w.serverClosed() }
        continuation.finish()
    }

    /// Called by a worker's `send`.
    func deliver(from name: String, _ frames: [WireFrame]) throws {
        let open = state.withLock { !$0.closed && $0.workers[name] != nil }
        guard open else { throw TransportError.peerLost(peer: "server", reason: "server endpoint closed") }
        let size = frames.reduce(0) { $0 + $1.byteCount }
        let peer = PeerID(name)
        do {
            let message = try MessageCodec.decodeFrames(frames, limits: limits)
            traffic.record(message.type, .received, bytes: size)
            if case .heartbeat = message { return }
            continuation.yield(.message(peer, message))
        } catch let e as TransportError {
            traffic.recordRejected(bytes: size)
            continuation.yield(.rejected(peer, e))
        }
    }

    /// Called by a worker's `close`.
    func workerClosed(_ name: String) {
        let removed = state.withLock { s -> Bool in
            guard !s.closed, s.workers.removeValue(forKey: name) != nil else { return false }
            s.lost.insert(name)
            return true
        }
        if removed {
            continuation.yield(.peerLost(PeerID(name), .peerLost(peer: name, reason: "disconnected")))
        }
    }
}

import Synchronization

/// The in-process worker endpoint; made by `InProcessServer.connectWorker(name:audit:)`.
public final class InProcessWorker: WorkerEndpoint {
    public let name: String
    public let incoming: AsyncThrowingStream<Message, any Error>
    public let traffic = TrafficCounters()
    private let server: InProcessServer
    private let audit: WireAuditLog?
    private let limits: CodecLimits
    private let continuation: AsyncThrowingStream<Message, any Error>.Continuation
    private let closed = Mutex(false)

    init(name: String, server: InProcessServer, audit: WireAuditLog?, limits: CodecLimits) {
        self.name = name
        self.server = server
        self.audit = audit
        self.limits = limits
        (incoming, continuation) = AsyncThrowingStream.makeStream(of: Message.self, throwing: (any Error).self)
    }

    public func send(_ message: Message) async throws {
        if closed.withLock({ $0 }) { throw TransportError.closed }
        let frames = try MessageCodec.encodeFrames(message)
        audit?.record(message.type, frames: frames)
        traffic.record(message.type, .sent, bytes: frames.reduce(0) { $0 + $1.byteCount })
        try server.deliver(from: name, frames)
    }

    public func close() async {
        let wasOpen = closed.withLock { c -> Bool in defer { c = true }; return !c }
        guard wasOpen else { return }
        server.workerClosed(name)
        continuation.finish()
    }

    /// Called by the server's `send`.
    func deliver(_ frames: [WireFrame]) {
        let size = frames.reduce(0) { $0 + $1.byteCount }
        guard let message = try? MessageCodec.decodeFrames(frames, limits: limits) else {
            traffic.recordRejected(bytes: size)
            return
        }
        traffic.record(message.type, .received, bytes: size)
        if case .heartbeat = message { return }
        continuation.yield(message)
    }

    /// Called by the server's `close`.
    func serverClosed() {
        closed.withLock { $0 = true }
        continuation.finish(throwing: TransportError.peerLost(peer: "server", reason: "server endpoint closed"))
    }
}

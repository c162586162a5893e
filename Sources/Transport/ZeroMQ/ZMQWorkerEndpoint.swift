import CZeroMQ
import Foundation

/// The ZeroMQ worker endpoint: a DEALER socket owned by one thread (see `ZMQWorkerLoop`).
///
///     let worker = try ZMQWorkerEndpoint(options: ZMQWorkerOptions(endpoint: server.boundEndpoint, name: "worker-0"))
///
/// Connecting does not wait for the server: messages queue until it is there (up to the
/// high-water mark), and the lease starts at construction.
public final class ZMQWorkerEndpoint: WorkerEndpoint {
    public let incoming: IncomingMessages
    public let traffic = TrafficCounters()
    public let name: String
    private let loop: ZMQWorkerLoop
    private let sendTimeout: Duration
    private let audit: WireAuditLog?

    public init(context: ZMQContext = .shared, options: ZMQWorkerOptions) throws {
        try options.liveness.validate()
        let socket = try ZMQSocket(context: context, type: ZMQ_DEALER)
        try ZMQWorkerLoop.configure(
            socket, highWaterMark: options.highWaterMark, limits: options.limits,
            liveness: options.liveness, connecting: true)
        let routingID = options.routingID ?? (options.curve == nil ? options.name : nil)
        if let rid = routingID {
            guard !rid.isEmpty, rid.utf8.count <= 255, rid.utf8.first != 0 else {
                throw TransportError.invalidConfiguration(
                    "routing id must be 1 to 255 bytes and not start with a zero byte")
            }
            try socket.set(ZMQ_ROUTING_ID, bytes: Array(rid.utf8))
        }
        if let curve = options.curve {
            try socket.set(ZMQ_CURVE_SERVERKEY, text: curve.serverPublicKey)
            try socket.set(ZMQ_CURVE_PUBLICKEY, text: curve.keys.publicKey)
            try socket.set(ZMQ_CURVE_SECRETKEY, text: curve.keys.secretKey)
        }
        try socket.connect(options.endpoint)
        let mailbox = Mailbox<Message>()
        incoming = IncomingMessages(mailbox)
        name = options.name
        sendTimeout = options.sendTimeout
        audit = options.audit
        loop = try ZMQWorkerLoop(socket: socket, options: options, mailbox: mailbox, traffic: traffic)
        loop.start()
    }

    /// Hands the message to libzmq from the calling task (no thread hop) and returns; when the
    /// high-water mark holds it back, queues it for the socket thread (waiting only while that
    /// queue is full).
    /// Throws `closed`, or the error that ended the endpoint (`peerLost` when the server's lease
    /// expired, `sendTimeout` when the high-water mark stayed full for `sendTimeout`); that error
    /// also ends `incoming`.
    public func send(_ message: Message) async throws {
        let frames = try MessageCodec.encodeFrames(message)
        audit?.record(message.type, frames: frames)
        let item = OutboundSend(peer: "server", type: message.type, frames: frames, deadline: .now + sendTimeout)
        try await loop.send(item)
    }

    /// The socket thread as a task executor (see `SocketExecutor`): a task that consumes this
    /// endpoint's messages under `withTaskExecutorPreference(endpoint.executor)` is resumed on the
    /// thread that received them (one thread wake-up fewer per message). Light work only; only
    /// the round-trip benchmark (bench/TransportBench) uses it, so it is not part of the endpoint
    /// protocols.
    @_spi(Bench) public var executor: (any TaskExecutor)? { loop.executor }

    public func close() async {
        loop.stop()
        await loop.exit.wait()
    }

    deinit { loop.stop() }
}

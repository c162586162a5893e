import CZeroMQ
import Foundation

/// The ZeroMQ server endpoint: a ROUTER socket owned by one thread (see `ZMQServerLoop`).
///
///     let server = try ZMQServerEndpoint(options: ZMQServerOptions(endpoint: "tcp://127.0.0.1:*"))
///     print(server.boundEndpoint)   // tcp://127.0.0.1:41234
///
/// With `options.curve`, traffic is encrypted, only allow-listed worker keys get through (checked
/// by the context's ZAP handler) and each peer is named by its key, not by the routing id it claims.
/// ROUTER_MANDATORY is on, high-water marks and ZMQ_MAXMSGSIZE are set, linger is 0. `events`
/// holds at most `options.eventCapacity` events; when the consumer falls that far behind, the
/// socket stops being read (back-pressure through the high-water marks, nothing is dropped).
public final class ZMQServerEndpoint: ServerEndpoint {
    public let events: ServerEvents
    public let traffic = TrafficCounters()
    /// The address actually bound (ZMQ_LAST_ENDPOINT), with the port chosen for `:*`.
    public let boundEndpoint: String
    private let loop: ZMQServerLoop
    private let sendTimeout: Duration
    private let zap: (ZAPAuthenticator, String)?

    public init(context: ZMQContext = .shared, options: ZMQServerOptions) throws {
        try options.liveness.validate()
        guard options.eventCapacity > 0 else {
            throw TransportError.invalidConfiguration("event capacity must be positive")
        }
        let socket = try ZMQSocket(context: context, type: ZMQ_ROUTER)
        try socket.set(ZMQ_ROUTER_MANDATORY, 1)
        try ZMQWorkerLoop.configure(
            socket, highWaterMark: options.highWaterMark, limits: options.limits,
            liveness: options.liveness, connecting: false)
        let mailbox = Mailbox<ServerEvent>(capacity: options.eventCapacity)
        if let curve = options.curve {
            let zap = try context.authenticator()
            let domain = "fedhds-" + UUID().uuidString
            // A refused key is reported like a rejected message (no peer: it never connected).
            zap.register(
                domain: domain, allowList: curve.allowList,
                onRefused: { text in _ = mailbox.push(.rejected(nil, .invalidKey(text))) })
            self.zap = (zap, domain)
            try socket.set(ZMQ_ZAP_DOMAIN, text: domain)
            try socket.set(ZMQ_CURVE_SERVER, 1)
            try socket.set(ZMQ_CURVE_SECRETKEY, text: curve.keys.secretKey)
        } else {
            self.zap = nil
        }
        do {
            try socket.bind(options.endpoint)
        } catch {
            if let (zap, domain) = zap { zap.unregister(domain: domain) }
            throw error
        }
        boundEndpoint = try socket.getString(ZMQ_LAST_ENDPOINT)
        events = ServerEvents(mailbox)
        sendTimeout = options.sendTimeout
        loop = try ZMQServerLoop(
            socket: socket, authenticated: options.curve != nil, options: options,
            mailbox: mailbox, traffic: traffic)
        loop.start()
    }

    /// Hands the message to libzmq from the calling task (no thread hop) and returns; when the
    /// peer's high-water mark holds it back, queues it for the socket thread (waiting only while
    /// that queue is full). Throws `unknownPeer` / `peerLost` when the peer is not connected now; a
    /// failure after queueing (the peer disconnects, or its high-water mark stays full for
    /// `sendTimeout`) is reported as a `.peerLost` event.
    public func send(_ message: Message, to peer: PeerID) async throws {
        let frames = try MessageCodec.encodeFrames(message)
        let item = OutboundSend(peer: peer.name, type: message.type, frames: frames, deadline: .now + sendTimeout)
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
        if let (zap, domain) = zap { zap.unregister(domain: domain) }
    }

    deinit { loop.stop() }
}

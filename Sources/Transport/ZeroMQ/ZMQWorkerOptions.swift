/// How to run a ZeroMQ worker endpoint.
public struct ZMQWorkerOptions: Sendable {
    /// The server's address, e.g. `tcp://10.0.0.1:5555`, `ipc:///tmp/fedhds.sock`, `inproc://name`.
    public var endpoint: String
    /// The worker's name. Without CURVE it is also its routing id, which the server takes as its
    /// `PeerID`; with CURVE the server names the worker from its key instead.
    public var name: String
    /// An explicit ZMQ_ROUTING_ID; nil: the name without CURVE, none (server-assigned) with CURVE.
    public var routingID: String?
    public var curve: CurveClientOptions?
    public var liveness: Liveness
    public var highWaterMark: Int32
    public var limits: CodecLimits
    public var sendTimeout: Duration
    /// Records type and size (and optionally bytes) of everything this worker sends.
    public var audit: WireAuditLog?

    public init(
        endpoint: String, name: String, routingID: String? = nil, curve: CurveClientOptions? = nil,
        liveness: Liveness = .standard, highWaterMark: Int32 = 10_000, limits: CodecLimits = .standard,
        sendTimeout: Duration = .seconds(30), audit: WireAuditLog? = nil
    ) {
        self.endpoint = endpoint
        self.name = name
        self.routingID = routingID
        self.curve = curve
        self.liveness = liveness
        self.highWaterMark = highWaterMark
        self.limits = limits
        self.sendTimeout = sendTimeout
        self.audit = audit
    }
}

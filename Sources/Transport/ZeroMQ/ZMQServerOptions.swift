/// How to run a ZeroMQ server endpoint.
public struct ZMQServerOptions: Sendable {
    /// Where to bind: `tcp://127.0.0.1:*` (ephemeral port), `tcp://*:5555`, `ipc:///tmp/fedhds.sock`,
    /// `inproc://name` (same `ZMQContext` only). The bound address is `ZMQServerEndpoint.boundEndpoint`.
    public var endpoint: String
    /// CURVE keys and allow-list; nil for no encryption and no authentication (peers are then
    /// known by the routing id they claim).
    public var curve: CurveServerOptions?
    public var liveness: Liveness
    /// ZMQ_SNDHWM and ZMQ_RCVHWM (messages per peer).
    public var highWaterMark: Int32
    /// Decoder limits; ZMQ_MAXMSGSIZE is set from them.
    public var limits: CodecLimits
    /// How long a send may wait for room below the high-water mark before failing.
    public var sendTimeout: Duration
    /// Most events `events` holds before the socket thread stops reading the socket until the
    /// consumer takes some (back-pressure on the workers; no event is dropped). Memory is bounded
    /// by this times the largest message `limits` allow.
    public var eventCapacity: Int

    public init(
        endpoint: String, curve: CurveServerOptions? = nil, liveness: Liveness = .standard,
        highWaterMark: Int32 = 10_000, limits: CodecLimits = .standard, sendTimeout: Duration = .seconds(30),
        eventCapacity: Int = 1024
    ) {
        self.endpoint = endpoint
        self.curve = curve
        self.liveness = liveness
        self.highWaterMark = highWaterMark
        self.limits = limits
        self.sendTimeout = sendTimeout
        self.eventCapacity = eventCapacity
    }
}

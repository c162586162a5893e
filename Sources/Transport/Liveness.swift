/// Liveness settings: ZMTP heartbeats on the connection (libzmq closes a dead connection) and an
/// application lease: a worker sends a heartbeat message every `heartbeatInterval` (however busy
/// it is), the server answers it, and a side that hears nothing from its peer for `lease`
/// declares it lost (server: `.peerLost` event, failed sends; worker: `incoming` throws). A worker
/// whose sends are held back by the high-water mark counts the server as alive while it keeps
/// draining them (its heartbeat answers then queue behind our data).
public struct Liveness: Sendable, Equatable {
    public var heartbeatInterval: Duration
    public var lease: Duration
    /// ZMQ_HEARTBEAT_IVL / ZMQ_HEARTBEAT_TIMEOUT / ZMQ_HEARTBEAT_TTL.
    public var zmtpInterval: Duration
    public var zmtpTimeout: Duration

    public init(
        heartbeatInterval: Duration = .seconds(1), lease: Duration = .seconds(10),
        zmtpInterval: Duration = .seconds(1), zmtpTimeout: Duration = .seconds(5)
    ) {
        self.heartbeatInterval = heartbeatInterval
        self.lease = lease
        self.zmtpInterval = zmtpInterval
        self.zmtpTimeout = zmtpTimeout
    }

    public static let standard = Liveness()

    func validate() throws {
        guard heartbeatInterval > .zero, lease > heartbeatInterval, zmtpInterval > .zero, zmtpTimeout > .zero else {
            throw TransportError.invalidConfiguration(
                "liveness: need 0 < heartbeatInterval < lease and positive ZMTP times")
        }
    }

    static func milliseconds(_ d: Duration) -> Int32 {
        let (s, atto) = d.components
        return Int32(clamping: s * 1000 + atto / 1_000_000_000_000_000)
    }
}

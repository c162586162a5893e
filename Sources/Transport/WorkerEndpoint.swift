/// The worker side of the transport: sends to and receives from the server.
/// Implemented by `InProcessWorker` and `ZMQWorkerEndpoint`; client code does not know which.
/// Centroids can only be sent as `Message.centroids`, whose value only `PrivacyBoundary.release`
/// makes, so every centroid that leaves a client has passed the DP boundary.
public protocol WorkerEndpoint: AnyObject, Sendable {
    /// Messages from the server in order (heartbeats are consumed by the endpoint). Finishes
    /// normally after `close()`, or throws `TransportError.peerLost` when the server goes away.
    var incoming: IncomingMessages { get }
    /// Bytes and messages per type and direction.
    var traffic: TrafficCounters { get }
    /// Sends to the server. Throws `peerLost`, `sendTimeout`, `closed`, or an encoding error.
    func send(_ message: Message) async throws
    /// Stops the endpoint without waiting for undelivered messages (linger 0). Never hangs.
    func close() async
}

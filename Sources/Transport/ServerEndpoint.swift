/// The server side of the transport: receives (peer, message) events and sends to one peer.
/// Implemented by `InProcessServer` and `ZMQServerEndpoint`; server code does not know which.
public protocol ServerEndpoint: AnyObject, Sendable {
    /// Every event, in arrival order per peer. Finishes after `close()`.
    var events: ServerEvents { get }
    /// Bytes and messages per type and direction.
    var traffic: TrafficCounters { get }
    /// Sends to one peer. Throws `unknownPeer`, `peerLost`, `sendTimeout`, `closed`, or an encoding error.
    func send(_ message: Message, to peer: PeerID) async throws
    /// Stops the endpoint without waiting for undelivered messages (linger 0). Never hangs.
    func close() async
}

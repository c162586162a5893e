/// What a server endpoint reports, in arrival order per peer.
public enum ServerEvent: Sendable {
    /// A decoded message from a peer (heartbeats are consumed by the endpoint).
    case message(PeerID, Message)
    /// The peer disconnected or its lease expired; sends to it now fail with the same error.
    case peerLost(PeerID, TransportError)
    /// Frames from a peer (nil when unknown) that did not decode; the peer stays connected.
    case rejected(PeerID?, TransportError)
}

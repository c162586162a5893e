/// A worker as the server knows it. Over CURVE this is the name the server's allow-list gives to
/// the worker's authenticated public key; otherwise the worker's routing id (ZeroMQ) or the name
/// it connected with (in-process).
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) { self.name = name }

    public var description: String { name }
}

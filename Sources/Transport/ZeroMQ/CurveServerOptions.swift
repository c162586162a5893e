/// CURVE settings of a server: its key pair and the allow-list that maps each worker's public key
/// (Z85) to the name the server knows it by (its `PeerID`). Keys not on the list are refused.
public struct CurveServerOptions: Sendable {
    public var keys: CurveKeyPair
    public var allowList: [String: String]

    /// Throws when an allow-listed key is not a valid Z85 key.
    public init(keys: CurveKeyPair, allowList: [String: String]) throws {
        for key in allowList.keys { _ = try CurveKeyPair.decode(key, what: "allow-listed public key") }
        self.keys = keys
        self.allowList = allowList
    }
}

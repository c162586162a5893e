/// CURVE settings of a worker: its key pair and the server's public key (Z85).
public struct CurveClientOptions: Sendable {
    public var keys: CurveKeyPair
    public var serverPublicKey: String

    public init(keys: CurveKeyPair, serverPublicKey: String) throws {
        _ = try CurveKeyPair.decode(serverPublicKey, what: "server public key")
        self.keys = keys
        self.serverPublicKey = serverPublicKey
    }
}

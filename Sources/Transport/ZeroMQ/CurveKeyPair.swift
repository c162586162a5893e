import CZeroMQ

/// A CURVE key pair as Z85 text (40 characters each).
public struct CurveKeyPair: Sendable, Equatable {
    public let publicKey: String
    public let secretKey: String

    /// Validates both keys (40 Z85 characters decoding to 32 bytes).
    public init(publicKey: String, secretKey: String) throws {
        _ = try CurveKeyPair.decode(publicKey, what: "public key")
        _ = try CurveKeyPair.decode(secretKey, what: "secret key")
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A fresh key pair from libzmq (`zmq_curve_keypair`, from the OS's random source).
    public static func generate() throws -> CurveKeyPair {
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&pub, &sec) == 0 else { throw ZMQContext.lastError("zmq_curve_keypair") }
        return try CurveKeyPair(publicKey: ZMQContext.text(pub), secretKey: ZMQContext.text(sec))
    }

    /// The 32 bytes of a Z85 key.
    static func decode(_ z85: String, what: String) throws -> [UInt8] {
        guard z85.utf8.count == 40 else {
            throw TransportError.invalidKey("\(what) must be 40 Z85 characters, got \(z85.utf8.count)")
        }
        var out = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&out, z85) != nil else { throw TransportError.invalidKey("\(what) is not valid Z85") }
        return out
    }

    /// Z85 text of 32 key bytes.
    static func encode(_ bytes: [UInt8]) -> String? {
        guard bytes.count == 32 else { return nil }
        var out = [CChar](repeating: 0, count: 41)
        guard zmq_z85_encode(&out, bytes, 32) != nil else { return nil }
        return ZMQContext.text(out)
    }
}

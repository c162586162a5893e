/// Every error the Transport module throws.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A message that does not decode, for a reason not covered by a more specific case.
    case malformed(String)
    /// The first four bytes are not the envelope magic "FHDS".
    case badMagic
    /// The envelope's protocol version is not one this build understands.
    case unsupportedVersion(UInt16)
    /// The envelope's message-type byte names no known message.
    case unknownMessageType(UInt8)
    /// The number of frames does not match the envelope (or the message type).
    case frameCount(expected: Int, got: Int)
    /// A field runs past the end of its frame.
    case truncated(field: String)
    /// A length or count disagrees with another one, or with the bytes present.
    case lengthMismatch(field: String, expected: Int, got: Int)
    /// Bytes left over after the last field of the envelope.
    case trailingBytes(Int)
    /// A float value that must be finite is NaN or infinite.
    case nonFinite(field: String, index: Int)
    /// A field holds a value outside its allowed range.
    case invalidValue(field: String, reason: String)
    /// A string field is not valid UTF-8.
    case invalidUTF8(field: String)
    /// A message or field exceeds a configured limit.
    case tooLarge(field: String, size: Int, limit: Int)
    /// A libzmq call failed.
    case zmq(operation: String, errno: Int32, text: String)
    /// The endpoint was closed; nothing more can be sent or received.
    case closed
    /// A peer stopped answering (no message within its lease) or disconnected.
    case peerLost(peer: String, reason: String)
    /// No peer of that name is (or ever was) connected.
    case unknownPeer(String)
    /// A send did not complete within the configured time (high-water mark reached).
    case sendTimeout(peer: String)
    /// A CURVE key is not a valid Z85 key of 40 characters.
    case invalidKey(String)
    /// An endpoint or option that cannot be used as given.
    case invalidConfiguration(String)
    /// Invalid differential-privacy parameters.
    case invalidPrivacy(String)
    /// Nothing matching arrived within the given time.
    case timeout(String)

    public var description: String {
        switch self {
        case let .malformed(what): return "malformed message: \(what)"
        case .badMagic: return "malformed message: bad magic (not a fedhds envelope)"
        case let .unsupportedVersion(v): return "malformed message: unsupported protocol version \(v)"
        case let .unknownMessageType(t): return "malformed message: unknown message type \(t)"
        case let .frameCount(e, g): return "malformed message: expected \(e) frames, got \(g)"
        case let .truncated(f): return "malformed message: field '\(f)' is truncated"
        case let .lengthMismatch(f, e, g): return "malformed message: field '\(f)' has length \(g), expected \(e)"
        case let .trailingBytes(n): return "malformed message: \(n) trailing bytes after the last field"
        case let .nonFinite(f, i): return "malformed message: field '\(f)' has a non-finite value at index \(i)"
        case let .invalidValue(f, r): return "invalid value in field '\(f)': \(r)"
        case let .invalidUTF8(f): return "malformed message: field '\(f)' is not valid UTF-8"
        case let .tooLarge(f, s, l): return "'\(f)' is too large: \(s) bytes, limit \(l)"
        case let .zmq(op, e, t): return "zmq \(op) failed: \(t) (errno \(e))"
        case .closed: return "transport endpoint is closed"
        case let .peerLost(p, r): return "peer '\(p)' lost: \(r)"
        case let .unknownPeer(p): return "unknown peer '\(p)'"
        case let .sendTimeout(p): return "send to '\(p)' timed out (high-water mark reached)"
        case let .invalidKey(w): return "invalid CURVE key: \(w)"
        case let .invalidConfiguration(w): return "invalid transport configuration: \(w)"
        case let .invalidPrivacy(w): return "invalid differential-privacy parameters: \(w)"
        case let .timeout(w): return "timed out: \(w)"
        }
    }
}

/// Every error the Transport module throws.
public enum TransportError: Error, Equatable, CustomStringConvertible {
    /// A message that does not decode.
    case malformed(String)

    public var description: String {
        switch self {
        case let .malformed(what): return "malformed message: \(what)"
        }
    }
}

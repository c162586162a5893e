/// The kind of a federation-protocol message: the type byte of the envelope.
/// New kinds get new numbers; numbers are never reused (10 and 11, an evaluation request and
/// result that were never sent, were retired in wire version 2).
public enum MessageType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case register = 1
    case roundStart = 2
    case centroids = 3
    case selection = 4
    case update = 5
    case heartbeat = 6
    case error = 7
    case shutdown = 8
    case features = 9

    public var description: String {
        switch self {
        case .register: return "register"
        case .roundStart: return "roundStart"
        case .centroids: return "centroids"
        case .selection: return "selection"
        case .update: return "update"
        case .heartbeat: return "heartbeat"
        case .error: return "error"
        case .shutdown: return "shutdown"
        case .features: return "features"
        }
    }
}

/// One message of the federation protocol. Payloads are plain arrays; large float arrays travel as
/// raw little-endian float32 frames (see `MessageCodec`).
public enum Message: Sendable, Equatable {
    /// worker -> server: who I am and which clients I host.
    case register(Register)
    /// server -> worker: a round begins for some of the worker's clients.
    case roundStart(RoundStart)
    /// client -> server: cluster centroids, released through the `PrivacyBoundary` only.
    case centroids(Centroids)
    /// server -> worker: which clusters each client should take its coreset from.
    case selection(ClusterSelection)
    /// client -> server: the locally trained adapter and its statistics.
    case update(ClientUpdate)
    /// either way: liveness. Endpoints send and consume these themselves.
    case heartbeat(Heartbeat)
    /// either way: something went wrong.
    case error(ErrorReport)
    /// either way: stop.
    case shutdown(Shutdown)
    /// client -> server: fused features (GlobalSelect ablation; breaks privacy by design).
    case features(Features)

    /// The envelope type byte of this message.
    public var type: MessageType {
        switch self {
        case .register: return .register
        case .roundStart: return .roundStart
        case .centroids: return .centroids
        case .selection: return .selection
        case .update: return .update
        case .heartbeat: return .heartbeat
        case .error: return .error
        case .shutdown: return .shutdown
        case .features: return .features
        }
    }
}

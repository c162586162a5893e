import Synchronization

/// One message that left a client: its type, its size on the wire and, when the log keeps them,
/// its bytes (all frames concatenated).
public struct WireAuditEntry: Sendable, Equatable {
    public let type: MessageType
    public let bytes: Int
    public let wire: [UInt8]?
}

/// An optional log of everything a worker endpoint sends, recorded after encoding (what the
/// network sees). Thread-safe.
public final class WireAuditLog: Sendable {
    public let keepsBytes: Bool
    private let log = Mutex<[WireAuditEntry]>([])

    /// `keepBytes`: also keep a copy of the encoded bytes (for tests and audits; costs memory).
    public init(keepBytes: Bool = false) { self.keepsBytes = keepBytes }

    func record(_ type: MessageType, frames: [WireFrame]) {
        let size = frames.reduce(0) { $0 + $1.byteCount }
        let entry = WireAuditEntry(
            type: type, bytes: size, wire: keepsBytes ? Array(frames.map(\.bytes).joined()) : nil)
        log.withLock { $0.append(entry) }
    }

    public var entries: [WireAuditEntry] { log.withLock { $0 } }
}

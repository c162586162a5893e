import Synchronization

/// Direction of a message relative to the endpoint that counted it.
public enum TrafficDirection: String, Sendable, CaseIterable {
    case sent
    case received
}

/// Messages and bytes (all frames of the envelope and payload; not transport framing) of one
/// message type in one direction.
public struct TrafficRecord: Sendable, Equatable {
    public let type: MessageType
    public let direction: TrafficDirection
    public let messages: Int
    public let bytes: Int
}

/// Byte counters per message type and direction, for the communication table. Thread-safe.
public final class TrafficCounters: Sendable {
    private struct Key: Hashable { let type: MessageType; let direction: TrafficDirection }
    private struct State { var counts: [Key: (messages: Int, bytes: Int)] = [:]; var rejectedMessages = 0; var rejectedBytes = 0 }
    private let state = Mutex(State())

    public init() {}

    func record(_ type: MessageType, _ direction: TrafficDirection, bytes: Int) {
        state.withLock { s in
            let k = Key(type: type, direction: direction)
            let old = s.counts[k] ?? (0, 0)
            s.counts[k] = (old.messages + 1, old.bytes + bytes)
        }
    }

    func recordRejected(bytes: Int) {
        state.withLock { s in s.rejectedMessages += 1; s.rejectedBytes += bytes }
    }

    /// All non-zero counters, ordered by type then direction.
    public func snapshot() -> [TrafficRecord] {
        state.withLock { s in
            s.counts.map { TrafficRecord(type: $0.key.type, direction: $0.key.direction, messages: $0.value.messages, bytes: $0.value.bytes) }
        }.sorted { ($0.type.rawValue, $0.direction.rawValue) < ($1.type.rawValue, $1.direction.rawValue) }
    }

    public func bytes(_ type: MessageType, _ direction: TrafficDirection) -> Int {
        state.withLock { $0.counts[Key(type: type, direction: direction)]?.bytes ?? 0 }
    }

    public func messages(_ type: MessageType, _ direction: TrafficDirection) -> Int {
        state.withLock { $0.counts[Key(type: type, direction: direction)]?.messages ?? 0 }
    }

    /// Received frame sets that did not decode: (messages, bytes).
    public var rejected: (messages: Int, bytes: Int) {
        state.withLock { ($0.rejectedMessages, $0.rejectedBytes) }
    }

    public func reset() { state.withLock { $0 = State() } }
}

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
    /// Counters in a flat table indexed by (type raw value, direction): no hashing per message.
    private struct State {
        var messages = [Int](repeating: 0, count: 512)
        var bytes = [Int](repeating: 0, count: 512)
        var rejectedMessages = 0
        var rejectedBytes = 0
    }
    private let state = Mutex(State())

    public init() {}

    private static func slot(_ type: MessageType, _ direction: TrafficDirection) -> Int {
        Int(type.rawValue) * 2 + (direction == .sent ? 0 : 1)
    }

    func record(_ type: MessageType, _ direction: TrafficDirection, bytes: Int) {
        let i = Self.slot(type, direction)
        state.withLock { s in
            s.messages[i] += 1
            s.bytes[i] += bytes
        }
    }

    func recordRejected(bytes: Int) {
        state.withLock { s in
            s.rejectedMessages += 1; s.rejectedBytes += bytes
        }
    }

    /// All non-zero counters, ordered by type then direction.
    public func snapshot() -> [TrafficRecord] {
        state.withLock { s in
            var out: [TrafficRecord] = []
            for i in 0..<s.messages.count where s.messages[i] > 0 {
                guard let type = MessageType(rawValue: UInt8(i / 2)) else { continue }
                out.append(
                    TrafficRecord(
                        type: type, direction: i % 2 == 0 ? .sent : .received,
                        messages: s.messages[i], bytes: s.bytes[i]))
            }
            return out
        }.sorted { ($0.type.rawValue, $0.direction.rawValue) < ($1.type.rawValue, $1.direction.rawValue) }
    }

    public func bytes(_ type: MessageType, _ direction: TrafficDirection) -> Int {
        state.withLock { $0.bytes[Self.slot(type, direction)] }
    }

    public func messages(_ type: MessageType, _ direction: TrafficDirection) -> Int {
        state.withLock { $0.messages[Self.slot(type, direction)] }
    }

    /// Received frame sets that did not decode: (messages, bytes).
    public var rejected: (messages: Int, bytes: Int) {
        state.withLock { ($0.rejectedMessages, $0.rejectedBytes) }
    }

    public func reset() { state.withLock { $0 = State() } }
}

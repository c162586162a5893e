/// Application-level liveness message; endpoints send and consume these themselves.
public struct Heartbeat: Sendable, Equatable {
    public var sequence: UInt64

    public init(sequence: UInt64) { self.sequence = sequence }
}

import Foundation

/// One frame of an encoded message. Float payloads stay `[Float]` from the message to the socket
/// (sent zero-copy) and from the socket to the message (received straight into float storage), so a
/// large adapter is copied once per hop, by libzmq; envelopes are bytes.
@_spi(Bench) public enum WireFrame: Sendable, Equatable {
    case bytes([UInt8])
    /// Little-endian float32 values (the host's order on little-endian machines), all finite:
    /// whoever makes such a frame has checked that (the encoder before sending, the receiving
    /// socket while copying the frame out of libzmq), so the decoder only counts them.
    case floats([Float])

    var byteCount: Int {
        switch self {
        case let .bytes(b): return b.count
        case let .floats(f): return f.count * 4
        }
    }

    /// The wire bytes (a copy for float frames; for audits and tests).
    var bytes: [UInt8] {
        switch self {
        case let .bytes(b): return b
        case let .floats(f): return FloatFrame.bytes(of: f)
        }
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case let .bytes(b): return try b.withUnsafeBytes(body)
        case let .floats(f): return try f.withUnsafeBytes(body)
        }
    }
}

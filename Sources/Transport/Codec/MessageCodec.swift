/// The versioned binary envelope of the federation protocol.
///
/// Frame 0 (the envelope): magic "FHDS", version (u16), type (u8), frame count (u8), body length
/// (u32), reserved (u32, zero), then the type's fields little-endian (`WireBody`: each message
/// type encodes and decodes its fields side by side in MessageBodies.swift). Frame 1, for the
/// types that carry a large float payload (round start, centroids, update, features): raw
/// little-endian float32 values, whose count is a field of the envelope. Decoding checks all of it
/// and throws `TransportError`.
public enum MessageCodec {
    public static let magic: [UInt8] = [0x46, 0x48, 0x44, 0x53]  // "FHDS"
    /// 2: typed round phase, client and round of an error, `ClientTimes` and `localSamples` in an
    /// update; the never-sent evaluation messages and `RoundStart`'s unread method and seed removed.
    /// 3: the tokens each answer's model work took (`featureTokens` of centroids, features and
    /// updates, `trainTokens` of updates), which the simulated clock charges.
    public static let version: UInt16 = 3
    static let headerBytes = 16

    /// Encodes a message into its frames. Throws when a float payload is not finite or a count is
    /// inconsistent, so that nothing is sent that the receiver would reject.
    public static func encode(_ message: Message) throws -> [[UInt8]] {
        try encodeFrames(message).map(\.bytes)
    }

    /// Bytes of all frames of `message` as `encode` makes them (what the message costs on the
    /// wire, without transport framing), without copying its float payload.
    public static func encodedSize(_ message: Message) throws -> Int {
        try encodeFrames(message).reduce(0) { $0 + $1.byteCount }
    }

    /// `encode`, with the float payload kept as floats (sent without copying).
    static func encodeFrames(_ message: Message) throws -> [WireFrame] {
        var w = ByteWriter(capacity: 96)
        try message.body.encode(into: &w)
        var head = ByteWriter(capacity: headerBytes + w.bytes.count)
        head.bytes.append(contentsOf: magic)
        head.u16(version)
        head.u8(message.type.rawValue)
        head.u8(w.payload == nil ? 1 : 2)
        head.u32(UInt32(w.bytes.count))
        head.u32(0)
        head.bytes.append(contentsOf: w.bytes)
        #if _endian(little)
            if let p = w.payload { return [.bytes(head.bytes), .floats(p)] }
        #else
            if let p = w.payload { return [.bytes(head.bytes), .bytes(FloatFrame.bytes(of: p))] }
        #endif
        return [.bytes(head.bytes)]
    }

    /// Decodes the frames of one message, checking magic, version, type, frame count, every length
    /// and count, UTF-8 and finiteness. Internal: only endpoints decode, so a client cannot mint a
    /// `Centroids` value from bytes of its own.
    static func decode(_ frames: [[UInt8]], limits: CodecLimits = .standard) throws -> Message {
        try decodeFrames(frames.map { .bytes($0) }, limits: limits)
    }

    /// `decode` of frames as received (float payloads may already be float storage).
    static func decodeFrames(_ frames: [WireFrame], limits: CodecLimits = .standard) throws -> Message {
        guard let first = frames.first else { throw TransportError.frameCount(expected: 1, got: 0) }
        let env = first.bytes
        guard env.count >= headerBytes else { throw TransportError.truncated(field: "header") }
        guard env.count <= limits.maxEnvelopeBytes else {
            throw TransportError.tooLarge(field: "envelope", size: env.count, limit: limits.maxEnvelopeBytes)
        }
        guard env[0] == magic[0], env[1] == magic[1], env[2] == magic[2], env[3] == magic[3] else {
            throw TransportError.badMagic
        }
        var r = ByteReader(
            env, offset: 4, maxStringBytes: limits.maxStringBytes,
            payload: frames.count > 1 ? frames[1] : nil, maxFloats: limits.maxFloats)
        let v = try r.u16("header.version")
        guard v == version else { throw TransportError.unsupportedVersion(v) }
        let rawType = try r.u8("header.type")
        guard let type = MessageType(rawValue: rawType) else { throw TransportError.unknownMessageType(rawType) }
        let frameCount = Int(try r.u8("header.frameCount"))
        let bodyLength = Int(try r.u32("header.bodyLength"))
        let reserved = try r.u32("header.reserved")
        guard reserved == 0 else { throw TransportError.invalidValue(field: "header.reserved", reason: "must be 0") }
        guard bodyLength == env.count - headerBytes else {
            throw TransportError.lengthMismatch(
                field: "header.bodyLength", expected: env.count - headerBytes, got: bodyLength)
        }
        let expectedFrames = type.hasFloatFrame ? 2 : 1
        guard frameCount == expectedFrames else {
            throw TransportError.frameCount(expected: expectedFrames, got: frameCount)
        }
        guard frames.count == expectedFrames else {
            throw TransportError.frameCount(expected: expectedFrames, got: frames.count)
        }
        let message = try Message(type, from: &r)
        guard r.remaining == 0 else { throw TransportError.trailingBytes(r.remaining) }
        return message
    }
}

extension MessageType {
    /// Whether messages of this type carry a raw float32 frame after the envelope.
    var hasFloatFrame: Bool {
        switch self {
        case .roundStart, .centroids, .update, .features: return true
        default: return false
        }
    }
}

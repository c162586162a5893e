/// Upper bounds the decoder enforces before allocating.
public struct CodecLimits: Sendable, Equatable {
    /// Largest float payload (elements) in one message.
    public var maxFloats: Int
    /// Largest string field (bytes).
    public var maxStringBytes: Int
    /// Largest envelope frame (bytes).
    public var maxEnvelopeBytes: Int

    public init(maxFloats: Int = 256 << 20, maxStringBytes: Int = 1 << 20, maxEnvelopeBytes: Int = 64 << 20) {
        self.maxFloats = maxFloats
        self.maxStringBytes = maxStringBytes
        self.maxEnvelopeBytes = maxEnvelopeBytes
    }

    public static let standard = CodecLimits()

    /// The largest whole message (all frames) these limits allow, for ZMQ_MAXMSGSIZE.
    public var maxMessageBytes: Int { maxFloats * 4 + maxEnvelopeBytes }
}

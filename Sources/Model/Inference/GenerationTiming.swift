/// Where the time of `Decoder.generate` went: steps that fed prompt tokens (prefill, possibly
/// together with other sequences' next tokens when a finished sequence's slot is refilled) and
/// pure decoding steps (every active sequence feeds its last generated token, one row each).
public struct GenerationTiming: Sendable, Equatable {
    public var prefillSteps = 0
    /// Tokens fed by prefill steps (prompt tokens plus any decoding rows that rode along).
    public var prefillTokens = 0
    public var prefillSeconds = 0.0
    public var decodeSteps = 0
    /// Rows of the decoding steps: one fed token, and one new token, per active sequence.
    public var decodeTokens = 0
    public var decodeSeconds = 0.0

    public init() {}

    /// New tokens per second of the pure decoding steps.
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(decodeTokens) / decodeSeconds : 0 }
}

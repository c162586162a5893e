/// What one optimizer step did.
public struct StepReport: Sendable, Equatable {
    /// 0-based step index within the call.
    public var step: Int
    /// Mean cross-entropy over the batch's target tokens (NaN/inf when skipped for that reason).
    public var loss: Float
    /// Target tokens in the batch.
    public var targetTokens: Int
    /// All tokens in the batch (without padding).
    public var tokens: Int
    /// Global gradient norm before clipping (nil when skipped).
    public var gradientNorm: Float?
    /// True when the update was not applied (non-finite loss or gradient); the adapter is untouched.
    public var skipped: Bool
}

/// An example left out of training, and why.
public struct SkippedExample: Sendable, Equatable {
    public var index: Int
    public var reason: String
}

/// What a training call did: one entry per optimizer step, examples left out, token counts.
public struct EpochReport: Sendable, Equatable {
    public var steps: [StepReport] = []
    public var skippedExamples: [SkippedExample] = []

    public init() {}

    /// Losses of the steps that were applied.
    public var losses: [Float] { steps.filter { !$0.skipped }.map(\.loss) }
    /// Indices of steps skipped because of a non-finite loss or gradient.
    public var skippedSteps: [Int] { steps.filter(\.skipped).map(\.step) }
    public var tokens: Int { steps.map(\.tokens).reduce(0, +) }
    public var targetTokens: Int { steps.map(\.targetTokens).reduce(0, +) }
    /// Mean of the applied steps' losses (NaN when none).
    public var meanLoss: Float { losses.isEmpty ? .nan : losses.reduce(0, +) / Float(losses.count) }
}

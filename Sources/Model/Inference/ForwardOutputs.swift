/// What a forward pass should return.
public struct ForwardOutputs: Sendable, Equatable {
    /// Which token positions of each sequence an output covers.
    public enum Positions: Sendable, Equatable {
        case none
        case lastToken
        case allTokens
    }

    public var logits: Positions
    public var hiddenStates: Positions

    public init(logits: Positions = .lastToken, hiddenStates: Positions = .none) {
        self.logits = logits
        self.hiddenStates = hiddenStates
    }

    /// The FedHDS feature: hidden states of the last token, no LM head.
    public static let features = ForwardOutputs(logits: .none, hiddenStates: .lastToken)
}

/// The outputs of a forward pass, one entry per input sequence.
public struct ForwardResult: Sendable, Equatable {
    /// `logits[s]`: row-major `[rows, vocabSize]` where rows is 1 (`.lastToken`) or the length of
    /// sequence s (`.allTokens`); empty arrays when logits were not asked.
    public var logits: [[Float]]
    /// `hiddenStates[s]`: row-major `[L + 1, rows, d]` (slot-major, `output_hidden_states`
    /// convention: slot 0 the embedding output, slot l the output of block l, slot L after the
    /// final norm). With `.lastToken` this is the (L+1)*d FedHDS feature vector.
    public var hiddenStates: [[Float]]

    public init(logits: [[Float]], hiddenStates: [[Float]]) {
        self.logits = logits
        self.hiddenStates = hiddenStates
    }
}

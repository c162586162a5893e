/// One tokenized training sample: `tokens` (prompt then response, EOS included) and a mask of
/// the same length, true where the token at that position is a target (response tokens). The
/// loss at position t predicts token t+1, so `lossMask[0]` is never used.
public struct TrainingExample: Sendable, Equatable {
    public var tokens: [Int]
    public var lossMask: [Bool]

    public init(tokens: [Int], lossMask: [Bool]) {
        self.tokens = tokens
        self.lossMask = lossMask
    }

    /// A prompt/response pair: the response tokens are the targets.
    public init(prompt: [Int], response: [Int]) {
        tokens = prompt + response
        lossMask = [Bool](repeating: false, count: prompt.count) + [Bool](repeating: true, count: response.count)
    }

    /// Number of tokens that are predicted (targets after position 0).
    public var targetCount: Int { lossMask.dropFirst().filter { $0 }.count }

    /// The sample cut to its first `maxLength` tokens.
    public func truncated(to maxLength: Int) -> TrainingExample {
        TrainingExample(tokens: Array(tokens.prefix(maxLength)), lossMask: Array(lossMask.prefix(maxLength)))
    }
}

/// A padded batch of examples as the passes see it: `batch` rows of `seqLen` tokens (padding on
/// the right, which causal attention never lets earlier tokens see), and the rows whose next
/// token is a target.
struct TrainingBatch {
    let batch: Int
    let seqLen: Int
    /// `[batch * seqLen]` token ids, padded with `padToken`.
    let tokens: [Int]
    /// Row index b*T + t of each prediction, and the token it must predict (tokens[b*T + t + 1]).
    let targetRows: [Int]
    let targets: [Int]

    init(examples: [TrainingExample], vocabSize: Int, padToken: Int = 0) throws {
        guard !examples.isEmpty else { throw ModelError.invalidInput("empty batch") }
        let T = examples.map(\.tokens.count).max()!
        guard T > 0 else { throw ModelError.invalidInput("empty token sequence") }
        var tokens = [Int](repeating: padToken, count: examples.count * T)
        var rows: [Int] = [], targets: [Int] = []
        for (b, e) in examples.enumerated() {
            guard e.lossMask.count == e.tokens.count else {
                throw ModelError.invalidInput("loss mask has \(e.lossMask.count) entries for \(e.tokens.count) tokens")
            }
            for (t, tok) in e.tokens.enumerated() {
                guard tok >= 0 && tok < vocabSize else {
                    throw ModelError.invalidInput("token id \(tok) outside the vocabulary of \(vocabSize)")
                }
                tokens[b * T + t] = tok
                if t > 0 && e.lossMask[t] {
                    rows.append(b * T + t - 1)
                    targets.append(tok)
                }
            }
        }
        batch = examples.count
        seqLen = T
        self.tokens = tokens
        targetRows = rows
        self.targets = targets
    }
}

/// One training sequence: token ids and the labels of the causal-LM loss.
public struct TokenizedSample: Sendable, Equatable, Codable {
    /// Prompt + response + EOS, truncated to max_length.
    public var inputIDs: [Int]
    /// Same length as `inputIDs`: the token id where the loss applies (response and EOS), else -100
    /// (`PromptTokenizer.ignoreIndex`). Hugging Face convention: the logits at position i - 1
    /// predict `labels[i]`; the shift is the loss's job.
    public var labels: [Int]
    /// Number of leading positions masked as prompt.
    public var promptLength: Int

    public init(inputIDs: [Int], labels: [Int], promptLength: Int) {
        self.inputIDs = inputIDs
        self.labels = labels
        self.promptLength = promptLength
    }

    /// true where the loss applies.
    public var lossMask: [Bool] { labels.map { $0 != PromptTokenizer.ignoreIndex } }
}

/// A model ready to run: its frozen weights (with their config) and its tokenizer.
public struct LoadedModel: Sendable {
    public var weights: ModelWeights
    public var tokenizer: Tokenizer

    public init(weights: ModelWeights, tokenizer: Tokenizer) {
        self.weights = weights
        self.tokenizer = tokenizer
    }

    public var config: ModelConfig { weights.config }
}

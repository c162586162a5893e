/// The tokenizer a caller passes in (Data does not import Model): plain encoding plus special ids.
public struct TokenizerFunctions: Sendable {
    /// Text to token ids WITHOUT special tokens (no BOS; EOS is appended by `PromptTokenizer`).
    public var encode: @Sendable (String) -> [Int]
    /// The end-of-sequence id appended after the response (SmolLM2: 2, `<|im_end|>`).
    public var eosID: Int
    /// The beginning-of-sequence id, used only when `addsBOS` (SmolLM2 adds none; LLaMA adds 1).
    public var bosID: Int?
    /// Whether the model's tokenizer puts BOS in front of every encoded text.
    public var addsBOS: Bool
    /// The padding id: the reference counts the prompt's tokens as those != pad (SmolLM2: 2).
    public var padID: Int?

    public init(
        encode: @escaping @Sendable (String) -> [Int], eosID: Int, bosID: Int? = nil, addsBOS: Bool = false,
        padID: Int? = nil
    ) {
        self.encode = encode
        self.eosID = eosID
        self.bosID = bosID
        self.addsBOS = addsBOS
        self.padID = padID
    }
}

/// Turns prompts and responses into token sequences exactly as the FedHDS reference
/// (`LLMDataset.preprocess`, generation=False) does with a Hugging Face tokenizer:
///
///     full   = tokenizer(prompt + response + eos_text, max_length, truncation=True)
///     source = tokenizer(prompt, max_length, truncation=True)
///     labels = full; labels[:count(source != pad)] = -100
///
/// Hugging Face splits text at special tokens before encoding, so `eos_text` at the end is the EOS
/// id appended after encoding `prompt + response`. Truncation keeps a prefix (with BOS if added),
/// so a long sample may lose its EOS, as in the reference. The prompt is encoded on its own, so a
/// token that merges across the prompt/response boundary is masked the way the reference masks it.
public enum PromptTokenizer {
    /// The label of a position without loss (PyTorch's cross-entropy ignore_index).
    public static let ignoreIndex = -100
    /// The reference's `max_length` (tokens).
    public static let defaultMaxLength = 1024

    /// The training sequence of a prompt and its response.
    public static func training(
        prompt: String, response: String, tokenizer: TokenizerFunctions,
        maxLength: Int = defaultMaxLength
    ) throws -> TokenizedSample {
        guard maxLength > 0 else { throw DataError.invalidArgument("maxLength must be positive, got \(maxLength)") }
        var full = encodeWithBOS(prompt + response, tokenizer)
        full.append(tokenizer.eosID)
        if full.count > maxLength { full.removeLast(full.count - maxLength) }
        let source = generationInput(prompt: prompt, tokenizer: tokenizer, maxLength: maxLength)
        let sourceLength = tokenizer.padID.map { pad in source.lazy.filter { $0 != pad }.count } ?? source.count
        let masked = min(sourceLength, full.count)
        var labels = full
        for i in 0..<masked { labels[i] = ignoreIndex }
        return TokenizedSample(inputIDs: full, labels: labels, promptLength: masked)
    }

    /// The training sequence of a sample under a template.
    public static func training(
        sample: Sample, template: PromptTemplate, tokenizer: TokenizerFunctions,
        maxLength: Int = defaultMaxLength
    ) throws -> TokenizedSample {
        try training(
            prompt: template.prompt(for: sample), response: sample.output, tokenizer: tokenizer,
            maxLength: maxLength)
    }

    /// The prompt ids fed to generation at evaluation (reference: generation=True), truncated.
    public static func generationInput(
        prompt: String, tokenizer: TokenizerFunctions,
        maxLength: Int = defaultMaxLength
    ) -> [Int] {
        var ids = encodeWithBOS(prompt, tokenizer)
        if ids.count > maxLength { ids.removeLast(ids.count - max(0, maxLength)) }
        return ids
    }

    private static func encodeWithBOS(_ text: String, _ tokenizer: TokenizerFunctions) -> [Int] {
        var ids: [Int] = []
        if tokenizer.addsBOS, let bos = tokenizer.bosID { ids.append(bos) }
        ids.append(contentsOf: tokenizer.encode(text))
        return ids
    }
}

extension Tokenizer {
    /// The tokenizer stored in a GGUF file's metadata (`tokenizer.ggml.*`, model `gpt2`; model
    /// `llama` is SentencePiece, see `init(sentencePieceGGUF:)`).
    /// Tokens of type CONTROL (3) and USER_DEFINED (4) are matched verbatim in text.
    public init(gguf: GGUFFile) throws {
        let m = gguf.metadata
        let path = gguf.path
        let model = m["tokenizer.ggml.model"]?.string
        if model == "llama" {
            try self.init(sentencePieceGGUF: gguf)
            return
        }
        guard model == "gpt2" else {
            throw ModelError.unsupported(
                "\(path): tokenizer model '\(model ?? "none")' (supported: gpt2 byte-level BPE, llama SentencePiece)")
        }
        let tokens = try Tokenizer.ggufTokens(gguf)
        var merges: [(String, String)] = []
        if let mergeValues = m["tokenizer.ggml.merges"]?.array {
            merges.reserveCapacity(mergeValues.count)
            for (i, v) in mergeValues.enumerated() {
                guard let s = v.string, let pair = Self.splitMerge(s) else {
                    throw ModelError.invalidFile(path: path, reason: "tokenizer.ggml.merges[\(i)] is not 'a b'")
                }
                merges.append(pair)
            }
        }
        var added: [Int] = []
        if let types = m["tokenizer.ggml.token_type"]?.array {
            guard types.count == tokens.count else {
                throw ModelError.invalidFile(
                    path: path,
                    reason: "tokenizer.ggml.token_type has \(types.count) entries for \(tokens.count) tokens")
            }
            for (i, t) in types.enumerated() where t.int == 3 || t.int == 4 { added.append(i) }
        }
        // A missing pre-type (old GPT-2 conversions) is read as GPT-2's regex, which is what
        // Hugging Face uses for those models; llama.cpp's "default" regex differs and is refused.
        let pre = m["tokenizer.ggml.pre"]?.string ?? "gpt2"
        var preTokenizer = PreTokenizer()
        switch pre {
        case "gpt2", "gpt-2": break
        case "smollm": preTokenizer.digits = .individual
        case "llama3", "llama-v3", "llama-bpe": preTokenizer.pattern = .llama3
        default:
            throw ModelError.unsupported("\(path): tokenizer pre-type '\(pre)' (supported: gpt2, smollm, llama-bpe)")
        }
        let bos = m["tokenizer.ggml.bos_token_id"]?.int
        let eos = m["tokenizer.ggml.eos_token_id"]?.int
        // llama.cpp's defaults when the key is absent: BOS for the LLaMA-3 pre-types only
        let addBOS = m["tokenizer.ggml.add_bos_token"]?.bool ?? (preTokenizer.pattern == .llama3)
        let addEOS = m["tokenizer.ggml.add_eos_token"]?.bool ?? false
        try self.init(
            tokens: tokens, merges: merges, addedTokens: added, preTokenizer: preTokenizer,
            bosTokenId: bos, eosTokenId: eos,
            prefixTokenIds: addBOS ? bos.map { [$0] } ?? [] : [],
            suffixTokenIds: addEOS ? eos.map { [$0] } ?? [] : [],
            ignoreMerges: preTokenizer.pattern == .llama3, source: path)
    }

    /// "a b" -> ("a", "b"); byte-level tokens never contain a plain space.
    static func splitMerge(_ s: String) -> (String, String)? {
        guard let space = s.firstIndex(of: " ") else { return nil }
        let a = String(s[..<space]), b = String(s[s.index(after: space)...])
        guard !a.isEmpty, !b.isEmpty else { return nil }
        return (a, b)
    }

    /// The vocabulary `tokenizer.ggml.tokens`, every entry checked to be a string (both GGUF
    /// tokenizer models read it).
    static func ggufTokens(_ gguf: GGUFFile) throws -> [String] {
        guard let tokenValues = gguf.metadata["tokenizer.ggml.tokens"]?.array, !tokenValues.isEmpty else {
            throw ModelError.invalidFile(path: gguf.path, reason: "metadata tokenizer.ggml.tokens is missing")
        }
        var tokens: [String] = []
        tokens.reserveCapacity(tokenValues.count)
        for (i, v) in tokenValues.enumerated() {
            guard let s = v.string else {
                throw ModelError.invalidFile(path: gguf.path, reason: "tokenizer.ggml.tokens[\(i)] is not a string")
            }
            tokens.append(s)
        }
        return tokens
    }
}

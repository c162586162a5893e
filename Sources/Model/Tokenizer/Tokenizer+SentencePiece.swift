extension Tokenizer {
    /// The SentencePiece tokenizer of a GGUF file (`tokenizer.ggml.model` = "llama"): tokens,
    /// scores and token types, as llama.cpp reads them. Tokens of type UNKNOWN (2), CONTROL (3)
    /// and USER_DEFINED (4) are matched verbatim in text; BYTE (6) tokens "<0xNN>" are the byte
    /// fallback. Defaults when a key is absent are llama.cpp's: BOS 1, EOS 2, unknown 0, BOS
    /// added, EOS not, a space put in front of the text.
    init(sentencePieceGGUF gguf: GGUFFile) throws {
        let m = gguf.metadata
        let path = gguf.path
        let tokens = try Tokenizer.ggufTokens(gguf)
        guard let scoreValues = m["tokenizer.ggml.scores"]?.array else {
            throw ModelError.invalidFile(
                path: path,
                reason: "metadata tokenizer.ggml.scores is missing (a SentencePiece vocabulary needs scores)")
        }
        guard scoreValues.count == tokens.count else {
            throw ModelError.invalidFile(
                path: path,
                reason: "tokenizer.ggml.scores has \(scoreValues.count) entries for \(tokens.count) tokens")
        }
        var scores: [Float] = []
        scores.reserveCapacity(tokens.count)
        for (i, v) in scoreValues.enumerated() {
            guard let d = v.double, d.isFinite else {
                throw ModelError.invalidFile(path: path, reason: "tokenizer.ggml.scores[\(i)] is not a finite number")
            }
            scores.append(Float(d))
        }
        var added: [Int] = []
        var byteTokens: [Int] = []
        if let types = m["tokenizer.ggml.token_type"]?.array {
            guard types.count == tokens.count else {
                throw ModelError.invalidFile(
                    path: path,
                    reason: "tokenizer.ggml.token_type has \(types.count) entries for \(tokens.count) tokens")
            }
            for (i, t) in types.enumerated() {
                switch t.int {
                case 2, 3, 4: added.append(i)
                case 6: byteTokens.append(i)
                default: break
                }
            }
        } else {
            byteTokens = tokens.indices.filter { SentencePiece.byteValue(tokens[$0]) != nil }
        }
        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() where ids[t] == nil { ids[t] = i }
        let addSpacePrefix = m["tokenizer.ggml.add_space_prefix"]?.bool ?? true
        let sentencePiece = try SentencePiece(
            tokens: tokens, ids: ids, pairs: SentencePiece.pairs(tokens: tokens, ids: ids, scores: scores),
            byteTokens: byteTokens, unknownId: m["tokenizer.ggml.unknown_token_id"]?.int ?? 0,
            prefix: addSpacePrefix ? .always : .none, stripsLeadingSpace: addSpacePrefix, source: path)
        let bos = m["tokenizer.ggml.bos_token_id"]?.int ?? 1
        let eos = m["tokenizer.ggml.eos_token_id"]?.int ?? 2
        let addBOS = m["tokenizer.ggml.add_bos_token"]?.bool ?? true
        let addEOS = m["tokenizer.ggml.add_eos_token"]?.bool ?? false
        try self.init(
            tokens: tokens, merges: [], addedTokens: added, preTokenizer: PreTokenizer(),
            bosTokenId: bos, eosTokenId: eos,
            prefixTokenIds: addBOS ? [bos] : [], suffixTokenIds: addEOS ? [eos] : [],
            sentencePiece: sentencePiece, source: path)
    }
}

extension SentencePiece {
    /// Whether a tokenizer.json describes a SentencePiece-style BPE (byte fallback, a Metaspace
    /// pre-tokenizer or a normaliser that spells spaces as "▁").
    static func isSentencePieceJSON(_ root: [String: Any]) -> Bool {
        let model = root["model"] as? [String: Any]
        return model?["byte_fallback"] as? Bool == true
            || (root["pre_tokenizer"] as? [String: Any])?["type"] as? String == "Metaspace"
            || (root["normalizer"] as? [String: Any]) != nil
    }

    /// The SentencePiece part of a tokenizer.json BPE with byte_fallback: the normaliser
    /// Sequence[Prepend("▁"), Replace(" ", "▁")] (LLaMA-1/2, legacy) or the Metaspace
    /// pre-tokenizer (split false), merges by rank, "<0xNN>" tokens as byte fallback, the decoder's
    /// Strip(" ", 1, 0) as the leading-space removal.
    init(json root: [String: Any], tokens: [String], merges: [(String, String)], path: String) throws {
        let model = root["model"] as? [String: Any] ?? [:]
        var prefix = SentencePiece.Prefix.none
        var replacesSpaces = false
        if let normalizer = root["normalizer"] as? [String: Any] {
            var steps = [normalizer]
            if normalizer["type"] as? String == "Sequence" {
                steps = normalizer["normalizers"] as? [[String: Any]] ?? []
            }
            for (k, step) in steps.enumerated() {
                switch step["type"] as? String {
                case "Prepend" where step["prepend"] as? String == "\u{2581}" && k == 0:
                    prefix = .always
                case "Replace"
                where (step["pattern"] as? [String: Any])?["String"] as? String == " "
                    && step["content"] as? String == "\u{2581}":
                    replacesSpaces = true
                default:
                    throw ModelError.unsupported(
                        "\(path): normalizer step \(step["type"] ?? "?") in a SentencePiece tokenizer (supported: Prepend(▁), Replace(' ', ▁))"
                    )
                }
            }
        }
        if let pre = root["pre_tokenizer"] as? [String: Any] {
            guard pre["type"] as? String == "Metaspace", !replacesSpaces else {
                throw ModelError.unsupported(
                    "\(path): pre_tokenizer \(pre["type"] ?? "?") in a SentencePiece tokenizer (supported: none or Metaspace)"
                )
            }
            guard pre["replacement"] as? String ?? "\u{2581}" == "\u{2581}" else {
                throw ModelError.unsupported("\(path): Metaspace replacement other than ▁")
            }
            guard pre["split"] as? Bool != true else {
                throw ModelError.unsupported("\(path): Metaspace with split true")
            }
            switch pre["prepend_scheme"] as? String ?? ((pre["add_prefix_space"] as? Bool ?? true) ? "always" : "never")
            {
            case "always": prefix = .metaspace(firstOnly: false)
            case "first": prefix = .metaspace(firstOnly: true)
            case "never": prefix = .none
            case let other: throw ModelError.unsupported("\(path): Metaspace prepend_scheme '\(other)'")
            }
            replacesSpaces = true
        }
        guard replacesSpaces else {
            throw ModelError.unsupported("\(path): SentencePiece-style tokenizer without Replace(' ', ▁) or Metaspace")
        }
        var stripsLeadingSpace = false
        if let decoder = root["decoder"] as? [String: Any] {
            let steps =
                decoder["type"] as? String == "Sequence" ? decoder["decoders"] as? [[String: Any]] ?? [] : [decoder]
            stripsLeadingSpace =
                steps.contains {
                    $0["type"] as? String == "Strip" && $0["content"] as? String == " "
                        && ($0["start"] as? Int ?? 0) >= 1
                }
                || steps.contains { $0["type"] as? String == "Metaspace" && $0["prepend_scheme"] as? String != "never" }
        }
        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() where ids[t] == nil { ids[t] = i }
        let byteFallback = model["byte_fallback"] as? Bool == true
        let byteTokens = byteFallback ? tokens.indices.filter { SentencePiece.byteValue(tokens[$0]) != nil } : []
        var unknownId: Int? = nil
        if let unk = model["unk_token"] as? String {
            guard let id = ids[unk] else {
                throw ModelError.invalidFile(path: path, reason: "model.unk_token '\(unk)' is not in the vocabulary")
            }
            unknownId = id
        }
        try self.init(
            tokens: tokens, ids: ids, pairs: SentencePiece.pairs(merges: merges, ids: ids, source: path),
            byteTokens: byteTokens, unknownId: unknownId, prefix: prefix,
            stripsLeadingSpace: stripsLeadingSpace, source: path)
    }
}

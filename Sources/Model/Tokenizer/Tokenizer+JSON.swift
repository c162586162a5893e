import Foundation

extension Tokenizer {
    /// The tokenizer of a Hugging Face `tokenizer.json` (model BPE, byte-level; or BPE with
    /// byte_fallback and the "▁" normaliser / Metaspace of LLaMA-1/2, see `SentencePiece`). `bosTokenId`
    /// and `eosTokenId` come from the model's config (tokenizer.json does not name them); the
    /// tokens added around the text come from its `post_processor`.
    public init(tokenizerJSON path: String, bosTokenId: Int? = nil, eosTokenId: Int? = nil) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw ModelError.invalidFile(path: path, reason: "cannot read (\(error.localizedDescription))")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.invalidFile(path: path, reason: "not a JSON object")
        }
        func bad(_ reason: String) -> ModelError { .invalidFile(path: path, reason: reason) }
        guard let model = root["model"] as? [String: Any], (model["type"] as? String ?? "BPE") == "BPE" else {
            throw ModelError.unsupported(
                "\(path): tokenizer model '\((root["model"] as? [String: Any])?["type"] ?? "none")' (supported: BPE)")
        }
        let sentencePieceStyle = SentencePiece.isSentencePieceJSON(root)
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let s = model[key] as? String, !s.isEmpty { throw ModelError.unsupported("\(path): BPE \(key) '\(s)'") }
        }
        if !sentencePieceStyle, let normalizer = root["normalizer"], !(normalizer is NSNull) {
            throw ModelError.unsupported("\(path): normalizer \((normalizer as? [String: Any])?["type"] ?? "?")")
        }
        guard let vocab = model["vocab"] as? [String: Any] else { throw bad("model.vocab is missing") }
        var byId: [Int: String] = [:]
        for (token, value) in vocab {
            guard let id = value as? Int, id >= 0, id < 10_000_000 else {
                throw bad("vocab id of '\(token)' is invalid")
            }
            byId[id] = token
        }
        var added: [Int] = []
        var lstrip: Set<Int> = [], rstrip: Set<Int> = []
        for entry in root["added_tokens"] as? [[String: Any]] ?? [] {
            guard let id = entry["id"] as? Int, id >= 0, id < 10_000_000, let content = entry["content"] as? String
            else {
                throw bad("invalid added_tokens entry")
            }
            if entry["single_word"] as? Bool == true {
                throw ModelError.unsupported("\(path): added token '\(content)' with single_word")
            }
            if entry["lstrip"] as? Bool == true { lstrip.insert(id) }
            if entry["rstrip"] as? Bool == true { rstrip.insert(id) }
            byId[id] = content
            added.append(id)
        }
        let count = (byId.keys.max() ?? -1) + 1
        var tokens = [String](repeating: "", count: count)
        for (id, t) in byId { tokens[id] = t }

        var merges: [(String, String)] = []
        for (i, m) in (model["merges"] as? [Any] ?? []).enumerated() {
            if let s = m as? String, let pair = Self.splitMerge(s) {
                merges.append(pair)
            } else if let pair = m as? [String], pair.count == 2 {
                merges.append((pair[0], pair[1]))
            } else {
                throw bad("model.merges[\(i)] is neither 'a b' nor [a, b]")
            }
        }
        let sentencePiece =
            sentencePieceStyle ? try SentencePiece(json: root, tokens: tokens, merges: merges, path: path) : nil
        let preTokenizer =
            sentencePieceStyle ? PreTokenizer() : try Self.preTokenizer(root["pre_tokenizer"], path: path)
        var prefix: [Int] = [], suffix: [Int] = []
        try Self.postProcessor(root["post_processor"], path: path, prefix: &prefix, suffix: &suffix)
        try self.init(
            tokens: tokens, merges: sentencePieceStyle ? [] : merges, addedTokens: added, preTokenizer: preTokenizer,
            bosTokenId: bosTokenId, eosTokenId: eosTokenId, prefixTokenIds: prefix, suffixTokenIds: suffix,
            ignoreMerges: model["ignore_merges"] as? Bool ?? false, lstripIds: lstrip, rstripIds: rstrip,
            sentencePiece: sentencePiece, source: path)
    }

    /// ByteLevel, or a Sequence of Digits / Split(GPT-2 or LLaMA-3 regex) / ByteLevel.
    static func preTokenizer(_ any: Any?, path: String) throws -> PreTokenizer {
        guard let node = any as? [String: Any] else {
            throw ModelError.unsupported("\(path): tokenizer without a pre_tokenizer (byte-level BPE needs one)")
        }
        var steps: [[String: Any]] = [node]
        if node["type"] as? String == "Sequence" {
            steps = node["pretokenizers"] as? [[String: Any]] ?? []
        }
        var p = PreTokenizer()
        var sawByteLevel = false
        var regexSet = false
        for step in steps {
            switch step["type"] as? String {
            case "Digits":
                guard !sawByteLevel && !regexSet else {
                    throw ModelError.unsupported("\(path): Digits after the regex split")
                }
                p.digits = step["individual_digits"] as? Bool == true ? .individual : .runs
            case "Split":
                let pattern = (step["pattern"] as? [String: Any])?["Regex"] as? String
                guard step["behavior"] as? String == "Isolated", step["invert"] as? Bool != true,
                    let pattern, !regexSet
                else {
                    throw ModelError.unsupported("\(path): Split pre-tokenizer \(step)")
                }
                switch pattern {
                case PreTokenizer.gpt2Regex: p.pattern = .gpt2
                case PreTokenizer.llama3Regex: p.pattern = .llama3
                default: throw ModelError.unsupported("\(path): Split regex \(pattern)")
                }
                regexSet = true
            case "ByteLevel":
                sawByteLevel = true
                p.addPrefixSpace = step["add_prefix_space"] as? Bool ?? false
                let useRegex = step["use_regex"] as? Bool ?? true
                if useRegex {
                    guard !regexSet else { throw ModelError.unsupported("\(path): two regex splits") }
                    p.pattern = .gpt2
                    regexSet = true
                }
            default:
                throw ModelError.unsupported("\(path): pre-tokenizer \(step["type"] ?? "?")")
            }
        }
        guard sawByteLevel else { throw ModelError.unsupported("\(path): pre-tokenizer without ByteLevel") }
        if !regexSet { p.pattern = .none }
        return p
    }

    /// Ids a TemplateProcessing post-processor puts around a single sequence (ByteLevel and
    /// null add none).
    static func postProcessor(_ any: Any?, path: String, prefix: inout [Int], suffix: inout [Int]) throws {
        guard let node = any as? [String: Any] else { return }
        switch node["type"] as? String {
        case "ByteLevel":
            return
        case "Sequence":
            for p in node["processors"] as? [Any] ?? [] {
                try postProcessor(p, path: path, prefix: &prefix, suffix: &suffix)
            }
        case "TemplateProcessing":
            guard let single = node["single"] as? [[String: Any]] else {
                throw ModelError.invalidFile(path: path, reason: "TemplateProcessing without 'single'")
            }
            let specials = node["special_tokens"] as? [String: [String: Any]] ?? [:]
            var seenSequence = false
            for piece in single {
                if piece["Sequence"] != nil {
                    seenSequence = true
                } else if let s = piece["SpecialToken"] as? [String: Any], let name = s["id"] as? String {
                    guard let ids = specials[name]?["ids"] as? [Int] else {
                        throw ModelError.invalidFile(
                            path: path, reason: "post_processor special token '\(name)' has no ids")
                    }
                    if seenSequence { suffix += ids } else { prefix += ids }
                }
            }
        default:
            throw ModelError.unsupported("\(path): post_processor \(node["type"] ?? "?")")
        }
    }
}

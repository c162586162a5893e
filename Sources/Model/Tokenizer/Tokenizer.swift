/// Byte-level BPE tokenizer of GPT-2, LLaMA-3 and SmolLM2, read from GGUF metadata
/// (`Tokenizer(gguf:)`) or a Hugging Face `tokenizer.json` (`Tokenizer(tokenizerJSON:)`).
///
/// Encoding: added/special tokens are matched as whole strings first (leftmost, longest);
/// the text between them is split by the pre-tokenizer, each piece's UTF-8 bytes are spelled in
/// GPT-2's byte alphabet and merged by rank. `addSpecialTokens` adds the model's prefix (BOS)
/// and suffix tokens. Decoding maps tokens back to bytes and reads them as UTF-8.
///
/// LLaMA-1/2 and OpenLLaMA vocabularies (GGUF model "llama", tokenizer.json BPE with
/// byte_fallback) use `SentencePiece` for the text between added tokens instead.
public struct Tokenizer: Sendable {
    /// Number of token ids (the largest id + 1).
    public let vocabSize: Int
    public let bosTokenId: Int?
    public let eosTokenId: Int?
    /// Ids put before the text when `addSpecialTokens` is true (BOS, if the model adds it).
    public let prefixTokenIds: [Int]
    /// Ids put after the text when `addSpecialTokens` is true (EOS, if the model adds it).
    public let suffixTokenIds: [Int]
    /// Whether encoding with special tokens starts with BOS.
    public var addsBOS: Bool { bosTokenId != nil && prefixTokenIds.first == bosTokenId }

    let tokens: [String]
    let ids: [String: Int]
    /// Merge of a pair of ids `(a << 32 | b)` -> (rank, merged id).
    let merges: [UInt64: (rank: Int32, id: Int32)]
    /// Token id of each byte's single-character spelling, -1 when absent.
    let byteIds: [Int32]
    /// Added tokens matched verbatim in the input, grouped by first scalar, longest first.
    let addedByFirstScalar: [Unicode.Scalar: [(scalars: [Unicode.Scalar], id: Int)]]
    /// Added tokens that swallow the whitespace on their left / right (tokenizer.json lstrip / rstrip).
    let lstripIds: Set<Int>
    let rstripIds: Set<Int>
    /// Ids whose text is their spelling (added tokens), not byte-level characters.
    let verbatimIds: Set<Int>
    /// Bytes of every token for decoding: `decodeBytes[decodeOffsets[i]..<decodeOffsets[i+1]]`.
    let decodeBytes: [UInt8]
    let decodeOffsets: [Int]
    let preTokenizer: PreTokenizer
    /// tokenizer.json `ignore_merges`: a piece that is itself a token is not merged.
    let ignoreMerges: Bool
    /// SentencePiece-style BPE (LLaMA-1/2 vocabularies) used instead of the byte-level BPE.
    let sentencePiece: SentencePiece?
    let cache = BPECache()

    /// - Parameters:
    ///   - tokens: token spellings by id (byte-level characters; added tokens verbatim).
    ///   - merges: merge rules in rank order, as pairs of spellings.
    ///   - addedTokens: ids matched verbatim in text before pre-tokenization.
    init(
        tokens: [String], merges: [(String, String)], addedTokens: [Int], preTokenizer: PreTokenizer,
        bosTokenId: Int?, eosTokenId: Int?, prefixTokenIds: [Int], suffixTokenIds: [Int],
        ignoreMerges: Bool = false, lstripIds: Set<Int> = [], rstripIds: Set<Int> = [],
        sentencePiece: SentencePiece? = nil, source: String
    ) throws {
        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() where ids[t] == nil { ids[t] = i }
        var mergeTable: [UInt64: (rank: Int32, id: Int32)] = [:]
        mergeTable.reserveCapacity(merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            guard let ia = ids[a], let ib = ids[b], let merged = ids[a + b] else {
                throw ModelError.invalidFile(
                    path: source, reason: "merge \(rank) '\(a) \(b)' uses a token not in the vocabulary")
            }
            let key = UInt64(ia) << 32 | UInt64(ib)
            if mergeTable[key] == nil { mergeTable[key] = (Int32(rank), Int32(merged)) }
        }
        var byteIds = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            if let id = ids[String(ByteLevel.byteToScalar[b])] { byteIds[b] = Int32(id) }
        }
        var added: [Unicode.Scalar: [(scalars: [Unicode.Scalar], id: Int)]] = [:]
        for id in addedTokens {
            guard id >= 0, id < tokens.count else {
                throw ModelError.invalidFile(path: source, reason: "added token id \(id) outside the vocabulary")
            }
            let scalars = Array(tokens[id].unicodeScalars)
            guard let first = scalars.first else { continue }
            added[first, default: []].append((scalars, id))
        }
        for key in added.keys { added[key]!.sort { $0.scalars.count > $1.scalars.count } }
        for (name, id) in [("BOS", bosTokenId), ("EOS", eosTokenId)] {
            if let id, id < 0 || id >= tokens.count {
                throw ModelError.invalidFile(
                    path: source, reason: "\(name) id \(id) outside the vocabulary of \(tokens.count)")
            }
        }
        for id in prefixTokenIds + suffixTokenIds where id < 0 || id >= tokens.count {
            throw ModelError.invalidFile(path: source, reason: "special token id \(id) outside the vocabulary")
        }
        let verbatim = Set(addedTokens)
        var bytes: [UInt8] = []
        var offsets: [Int] = [0]
        offsets.reserveCapacity(tokens.count + 1)
        for (i, t) in tokens.enumerated() {
            if verbatim.contains(i) {
                bytes.append(contentsOf: Array(t.utf8))
            } else if let sentencePiece {
                let isByte = SentencePiece.byteValue(t).map { sentencePiece.byteIds[Int($0)] == Int32(i) } ?? false
                bytes.append(contentsOf: SentencePiece.decodedBytes(t, isByte: isByte))
            } else {
                bytes.append(contentsOf: ByteLevel.bytes(ofToken: t))
            }
            offsets.append(bytes.count)
        }
        self.vocabSize = tokens.count
        self.tokens = tokens
        self.ids = ids
        self.merges = mergeTable
        self.byteIds = byteIds
        self.addedByFirstScalar = added
        self.verbatimIds = verbatim
        self.decodeBytes = bytes
        self.decodeOffsets = offsets
        self.preTokenizer = preTokenizer
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.prefixTokenIds = prefixTokenIds
        self.suffixTokenIds = suffixTokenIds
        self.ignoreMerges = ignoreMerges
        self.lstripIds = lstripIds
        self.rstripIds = rstripIds
        self.sentencePiece = sentencePiece
    }

    /// The spelling of a token (byte-level characters, e.g. "Ġthe"), or nil for an unknown id.
    public func tokenString(_ id: Int) -> String? {
        id >= 0 && id < tokens.count ? tokens[id] : nil
    }

    /// The id of a token spelling, or nil.
    public func tokenId(_ token: String) -> Int? { ids[token] }

    /// Token ids of `text`; with `addSpecialTokens`, the model's prefix (BOS) and suffix ids too.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var out: [Int] = addSpecialTokens ? prefixTokenIds : []
        let scalars = Array(text.unicodeScalars)
        var classes = [PreTokenizer.Class](repeating: .other, count: scalars.count)
        for i in 0..<scalars.count { classes[i] = PreTokenizer.classify(scalars[i]) }
        var segmentStart = 0
        var i = 0
        var piece: [UInt8] = []
        func encodeSegment(_ range: Range<Int>) {
            guard !range.isEmpty else { return }
            if let sentencePiece {
                sentencePiece.encode(scalars, in: range, atStart: range.lowerBound == 0, to: &out)
                return
            }
            preTokenizer.split(scalars, classes, in: range) { source, r in
                piece.removeAll(keepingCapacity: true)
                for k in r { appendUTF8(source[k], to: &piece) }
                appendBPE(piece, to: &out)
            }
        }
        if addedByFirstScalar.isEmpty {
            encodeSegment(0..<scalars.count)
        } else {
            while i < scalars.count {
                if let candidates = addedByFirstScalar[scalars[i]],
                    let match = candidates.first(where: { matches($0.scalars, scalars, at: i) })
                {
                    var end = i
                    if lstripIds.contains(match.id) {
                        while end > segmentStart && classes[end - 1] == .space { end -= 1 }
                    }
                    encodeSegment(segmentStart..<end)
                    out.append(match.id)
                    i += match.scalars.count
                    if rstripIds.contains(match.id) {
                        while i < scalars.count && classes[i] == .space { i += 1 }
                    }
                    segmentStart = i
                } else {
                    i += 1
                }
            }
            encodeSegment(segmentStart..<scalars.count)
        }
        if addSpecialTokens { out.append(contentsOf: suffixTokenIds) }
        return out
    }

    /// The text of `ids` (special tokens included as their text). Invalid UTF-8 becomes U+FFFD;
    /// ids outside the vocabulary are skipped.
    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids where id >= 0 && id < vocabSize {
            bytes.append(contentsOf: decodeBytes[decodeOffsets[id]..<decodeOffsets[id + 1]])
        }
        if sentencePiece?.stripsLeadingSpace == true, bytes.first == 0x20 { bytes.removeFirst() }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Internals

    @inline(__always)
    private func matches(_ pattern: [Unicode.Scalar], _ text: [Unicode.Scalar], at i: Int) -> Bool {
        guard i + pattern.count <= text.count else { return false }
        for k in 0..<pattern.count where text[i + k] != pattern[k] { return false }
        return true
    }

    @inline(__always)
    private func appendUTF8(_ s: Unicode.Scalar, to bytes: inout [UInt8]) {
        let v = s.value
        if v < 0x80 {
            bytes.append(UInt8(v))
        } else if v < 0x800 {
            bytes.append(UInt8(0xC0 | (v >> 6)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            bytes.append(UInt8(0xE0 | (v >> 12)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        } else {
            bytes.append(UInt8(0xF0 | (v >> 18)))
            bytes.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    /// BPE of one piece's bytes, appended to `out` (memoised).
    private func appendBPE(_ piece: [UInt8], to out: inout [Int]) {
        if piece.count == 1 {
            let id = byteIds[Int(piece[0])]
            if id >= 0 { out.append(Int(id)) }
            return
        }
        if let cached = cache.get(piece) {
            for id in cached { out.append(Int(id)) }
            return
        }
        var symbols: [Int32] = []
        if ignoreMerges, let whole = ids[ByteLevel.spelling(of: piece)] {
            symbols = [Int32(whole)]
        } else {
            symbols.reserveCapacity(piece.count)
            for b in piece where byteIds[Int(b)] >= 0 { symbols.append(byteIds[Int(b)]) }
            while symbols.count > 1 {
                var bestRank = Int32.max
                var bestIndex = -1
                var bestId: Int32 = 0
                for k in 0..<(symbols.count - 1) {
                    let key = UInt64(UInt32(symbols[k])) << 32 | UInt64(UInt32(symbols[k + 1]))
                    if let m = merges[key], m.rank < bestRank {
                        bestRank = m.rank
                        bestIndex = k
                        bestId = m.id
                    }
                }
                if bestIndex < 0 { break }
                symbols[bestIndex] = bestId
                symbols.remove(at: bestIndex + 1)
            }
        }
        cache.set(piece, symbols)
        for id in symbols { out.append(Int(id)) }
    }
}

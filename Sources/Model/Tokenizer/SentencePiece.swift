/// The SentencePiece-style BPE of LLaMA-1/2 and OpenLLaMA vocabularies: text is not
/// pre-tokenized; spaces become "▁" (with a "▁" put in front, see `Prefix`), the characters are
/// merged pairwise, best pair first, and characters that are no token are spelled as byte tokens
/// "<0xNN>" (byte fallback), else as the unknown token.
///
/// The best pair is the one whose merged string has the highest score (GGUF, llama.cpp's
/// `llm_tokenizer_spm`) or the lowest merge rank (tokenizer.json BPE with byte_fallback); ties go
/// to the leftmost pair. Both orders are stored as one priority per pair of ids.
struct SentencePiece: Sendable {
    /// Where the "▁" is put in front of a text segment (the text between added tokens).
    enum Prefix: Sendable, Equatable {
        /// Never (GGUF add_space_prefix false, or no Prepend normaliser).
        case none
        /// Before every non-empty segment (llama.cpp's SPM; the legacy Prepend("▁") normaliser).
        case always
        /// Metaspace: before a segment that does not already start with "▁", every segment
        /// (`prepend_scheme` "always") or only the one at the start of the text ("first").
        case metaspace(firstOnly: Bool)
    }

    static let marker: Unicode.Scalar = "\u{2581}"

    /// Merge of a pair of ids `(a << 32 | b)` -> (priority, merged id); higher priority first.
    let pairs: [UInt64: (priority: Double, id: Int32)]
    /// Token id of each single-character token.
    let charIds: [Unicode.Scalar: Int32]
    /// Token id of each byte's "<0xNN>" token, -1 when absent.
    let byteIds: [Int32]
    let unknownId: Int32?
    let prefix: Prefix
    /// Decoding drops one leading space (the "▁" the encoder put in front).
    let stripsLeadingSpace: Bool

    /// - Parameters:
    ///   - tokens: token spellings by id.
    ///   - pairs: merge priorities of pairs of ids (see `pairs(scores:)` and `pairs(merges:)`).
    ///   - byteTokens: ids that stand for one byte (spelled "<0xNN>").
    init(
        tokens: [String], ids: [String: Int], pairs: [UInt64: (priority: Double, id: Int32)],
        byteTokens: [Int], unknownId: Int?, prefix: Prefix, stripsLeadingSpace: Bool, source: String
    ) throws {
        var charIds: [Unicode.Scalar: Int32] = [:]
        for (i, t) in tokens.enumerated() {
            var it = t.unicodeScalars.makeIterator()
            if let s = it.next(), it.next() == nil, ids[t] == i { charIds[s] = Int32(i) }
        }
        var byteIds = [Int32](repeating: -1, count: 256)
        for id in byteTokens {
            guard id >= 0, id < tokens.count, let b = Self.byteValue(tokens[id]) else {
                throw ModelError.invalidFile(path: source, reason: "byte token \(id) is not spelled <0xNN>")
            }
            if byteIds[Int(b)] < 0 { byteIds[Int(b)] = Int32(id) }
        }
        if let unknownId, unknownId < 0 || unknownId >= tokens.count {
            throw ModelError.invalidFile(
                path: source, reason: "unknown-token id \(unknownId) outside the vocabulary of \(tokens.count)")
        }
        self.pairs = pairs
        self.charIds = charIds
        self.byteIds = byteIds
        self.unknownId = unknownId.map { Int32($0) }
        self.prefix = prefix
        self.stripsLeadingSpace = stripsLeadingSpace
    }

    /// Pairs of llama.cpp's SPM: every token of two or more characters that is the
    /// concatenation of two tokens, with the token's score as priority.
    static func pairs(tokens: [String], ids: [String: Int], scores: [Float]) -> [UInt64: (priority: Double, id: Int32)]
    {
        var out: [UInt64: (priority: Double, id: Int32)] = [:]
        out.reserveCapacity(tokens.count * 2)
        for (i, t) in tokens.enumerated() where ids[t] == i {
            let scalars = Array(t.unicodeScalars)
            guard scalars.count >= 2 else { continue }
            for k in 1..<scalars.count {
                var left = String.UnicodeScalarView(), right = String.UnicodeScalarView()
                left.append(contentsOf: scalars[..<k])
                right.append(contentsOf: scalars[k...])
                guard let a = ids[String(left)], let b = ids[String(right)] else { continue }
                out[UInt64(a) << 32 | UInt64(b)] = (Double(scores[i]), Int32(i))
            }
        }
        return out
    }

    /// Pairs of a tokenizer.json BPE: merge rules in rank order, the first rank best.
    static func pairs(merges: [(String, String)], ids: [String: Int], source: String) throws -> [UInt64: (
        priority: Double, id: Int32
    )] {
        var out: [UInt64: (priority: Double, id: Int32)] = [:]
        out.reserveCapacity(merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            guard let ia = ids[a], let ib = ids[b], let merged = ids[a + b] else {
                throw ModelError.invalidFile(
                    path: source, reason: "merge \(rank) '\(a) \(b)' uses a token not in the vocabulary")
            }
            let key = UInt64(ia) << 32 | UInt64(ib)
            if out[key] == nil { out[key] = (-Double(rank), Int32(merged)) }
        }
        return out
    }

    /// The byte of a "<0xNN>" spelling.
    static func byteValue(_ token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == UInt8(ascii: "<"), u[1] == UInt8(ascii: "0"), u[2] == UInt8(ascii: "x"),
            u[5] == UInt8(ascii: ">")
        else { return nil }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            default: return nil
            }
        }
        guard let hi = hex(u[3]), let lo = hex(u[4]) else { return nil }
        return hi << 4 | lo
    }

    /// The bytes a token decodes to: a byte token its byte, another its text with "▁" as space.
    static func decodedBytes(_ token: String, isByte: Bool) -> [UInt8] {
        if isByte, let b = byteValue(token) { return [b] }
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for s in token.unicodeScalars {
            if s == marker { out.append(0x20) } else { out.append(contentsOf: String(s).utf8) }
        }
        return out
    }

    /// Ids of `text[range]` appended to `out`; `atStart` tells whether the segment begins the text.
    func encode(_ text: [Unicode.Scalar], in range: Range<Int>, atStart: Bool, to out: inout [Int]) {
        guard !range.isEmpty else { return }
        var chars: [Unicode.Scalar] = []
        chars.reserveCapacity(range.count + 1)
        let startsWithMarker = text[range.lowerBound] == " " || text[range.lowerBound] == Self.marker
        switch prefix {
        case .none: break
        case .always: chars.append(Self.marker)
        case let .metaspace(firstOnly):
            if !startsWithMarker && (atStart || !firstOnly) { chars.append(Self.marker) }
        }
        for k in range { chars.append(text[k] == " " ? Self.marker : text[k]) }
        let n = chars.count
        var ids = [Int32](repeating: -1, count: n)
        for k in 0..<n { ids[k] = charIds[chars[k]] ?? -1 }
        var next = [Int](0..<n).map { $0 + 1 }
        var prev = [Int](0..<n).map { $0 - 1 }
        var alive = [Bool](repeating: true, count: n)
        var heap = PairHeap()
        func consider(_ l: Int, _ r: Int) {
            guard l >= 0, r < n, ids[l] >= 0, ids[r] >= 0 else { return }
            if let m = pairs[UInt64(UInt32(ids[l])) << 32 | UInt64(UInt32(ids[r]))] {
                heap.push(.init(priority: m.priority, left: l, right: r, leftId: ids[l], rightId: ids[r]))
            }
        }
        for k in 0..<(n - 1) { consider(k, k + 1) }
        while let top = heap.pop() {
            let l = top.left, r = top.right
            guard alive[l], alive[r], next[l] == r, ids[l] == top.leftId, ids[r] == top.rightId,
                let m = pairs[UInt64(UInt32(ids[l])) << 32 | UInt64(UInt32(ids[r]))]
            else { continue }
            ids[l] = m.id
            alive[r] = false
            next[l] = next[r]
            if next[r] < n { prev[next[r]] = l }
            consider(prev[l], l)
            consider(l, next[l])
        }
        var k = 0
        while k < n {
            if ids[k] >= 0 {
                out.append(Int(ids[k]))
            } else {
                appendBytes(of: chars[k], to: &out)
            }
            k = next[k]
        }
    }

    /// Byte fallback of one character: its UTF-8 bytes as "<0xNN>" tokens, or the unknown token
    /// when a byte token is missing.
    private func appendBytes(of scalar: Unicode.Scalar, to out: inout [Int]) {
        let utf8 = Array(String(scalar).utf8)
        if utf8.allSatisfy({ byteIds[Int($0)] >= 0 }) {
            for b in utf8 { out.append(Int(byteIds[Int(b)])) }
        } else if let unknownId {
            out.append(Int(unknownId))
        }
    }
}

import Foundation
import Testing
@testable import Model

/// SentencePiece-style tokenization (LLaMA-1/2, OpenLLaMA) against llama.cpp (GGUF source) and
/// Hugging Face `tokenizers` (tokenizer.json, legacy Prepend/Replace normaliser and Metaspace) on
/// the strings of Golden/tokenizer-spm/cases.json, made by make_goldens.py from a tiny
/// SentencePiece BPE model (vocab 800, byte_fallback) trained on Dolly.
@Suite struct TokenizerSPMTests {
    struct Case {
        var text: String
        var gguf: [Int]
        var json: [Int]
        var metaspace: [Int]
        var decoded: String
    }

    static func cases() throws -> [Case] {
        let root = try LoadingFixtures.json("tokenizer-spm/cases.json")
        return (root["cases"] as! [[String: Any]]).map {
            Case(
                text: $0["text"] as! String, gguf: $0["gguf"] as! [Int], json: $0["json"] as! [Int],
                metaspace: $0["metaspace"] as! [Int], decoded: $0["decoded"] as! String)
        }
    }

    static let ggufPath = LoadingFixtures.path("tokenizer-spm/tiny-spm.gguf")

    static func check(_ tokenizer: Tokenizer, _ cases: [Case], _ expected: KeyPath<Case, [Int]>) -> Int {
        var wrong = 0
        for c in cases {
            let ids = tokenizer.encode(c.text, addSpecialTokens: true)
            if ids != c[keyPath: expected] {
                wrong += 1
                Issue.record("\(c.text.debugDescription): got \(ids), expected \(c[keyPath: expected])")
            }
        }
        return wrong
    }

    @Test func ggufMatchesLlamaCpp() throws {
        let tokenizer = try Tokenizer(gguf: try GGUFFile(path: Self.ggufPath))
        let cases = try Self.cases()
        #expect(cases.count >= 200)
        #expect(tokenizer.vocabSize == 800)
        #expect(tokenizer.addsBOS && tokenizer.prefixTokenIds == [1] && tokenizer.eosTokenId == 2)
        #expect(Self.check(tokenizer, cases, \.gguf) == 0)
    }

    @Test func tokenizerJSONMatchesHuggingFace() throws {
        let tokenizer = try Tokenizer(
            tokenizerJSON: LoadingFixtures.path("tokenizer-spm/tokenizer.json"),
            bosTokenId: 1, eosTokenId: 2)
        #expect(tokenizer.prefixTokenIds == [1])
        #expect(Self.check(tokenizer, try Self.cases(), \.json) == 0)
    }

    @Test func metaspaceTokenizerJSONMatchesHuggingFace() throws {
        let tokenizer = try Tokenizer(
            tokenizerJSON: LoadingFixtures.path("tokenizer-spm/tokenizer-metaspace.json"),
            bosTokenId: 1, eosTokenId: 2)
        #expect(Self.check(tokenizer, try Self.cases(), \.metaspace) == 0)
    }

    /// Decoding equals Hugging Face's decode of the same ids (▁ as space, the leading space
    /// stripped, byte tokens reassembled into UTF-8), and gives the text back wherever
    /// SentencePiece itself round-trips.
    @Test func decodeMatchesHuggingFaceAndRoundTrips() throws {
        let gguf = try Tokenizer(gguf: try GGUFFile(path: Self.ggufPath))
        let json = try Tokenizer(
            tokenizerJSON: LoadingFixtures.path("tokenizer-spm/tokenizer.json"), bosTokenId: 1, eosTokenId: 2)
        var roundTrips = 0
        for c in try Self.cases() {
            for tokenizer in [gguf, json] {
                let ids = tokenizer.encode(c.text, addSpecialTokens: false)
                let text = tokenizer.decode(ids)
                #expect(text == c.decoded, "\(c.text.debugDescription)")
                if c.decoded == c.text {
                    #expect(text == c.text)
                    roundTrips += 1
                }
            }
        }
        #expect(roundTrips >= 400)
        #expect(gguf.decode([1, 735, 231, 187, 176]) == "<s> 中")  // byte tokens of U+4E2D
    }

    @Test func modelLoaderGivesAWorkingSentencePieceTokenizer() throws {
        let model = try ModelLoader.load(path: Self.ggufPath)
        #expect(model.weights.config.vocabSize == 800)
        let c = try #require(try Self.cases().first { $0.text == "Hello, world!" })
        #expect(model.tokenizer.encode(c.text) == c.gguf)
        #expect(model.tokenizer.decode(Array(c.gguf.dropFirst())) == "Hello, world!")
        let onlyTokenizer = try ModelLoader.loadTokenizer(path: Self.ggufPath)
        #expect(onlyTokenizer.encode("naïve café 😀") == model.tokenizer.encode("naïve café 😀"))
    }

    /// The highest-scoring merge wins in the GGUF source, the lowest rank in tokenizer.json;
    /// characters that are no token fall back to bytes, or to <unk> without byte tokens.
    @Test func mergesFollowScoresAndBytesFallBack() throws {
        var g = Self.handMade(scores: [0, 0, 0, -1, -1, -1, -1, -5, -2, -3])
        let dir = try LoadingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = try Tokenizer(gguf: try GGUFFile(path: try g.write(dir)))
        // "▁abc": "bc" (-2) beats "ab" (-5) and "▁a" (-3): ▁a, bc
        #expect(t.encode("abc", addSpecialTokens: false) == [9, 8])
        #expect(t.encode("abc") == [1, 9, 8])
        // "é" is no token: bytes C3 A9 are not in this vocabulary either -> <unk>
        #expect(t.encode("é", addSpecialTokens: false) == [3, 0])
        g = Self.handMade(scores: [0, 0, 0, -1, -1, -1, -1, -1, -2, -3])
        let t2 = try Tokenizer(gguf: try GGUFFile(path: try g.write(dir, "b.gguf")))
        // now "ab" (-1) is best: ▁, ab, c ("▁ab" and "abc" are no tokens)
        #expect(t2.encode("abc", addSpecialTokens: false) == [3, 7, 6])
    }

    /// tokens: 0 <unk>, 1 <s>, 2 </s>, 3 ▁, 4 a, 5 b, 6 c, 7 ab, 8 bc, 9 ▁a
    static func handMade(scores: [Float]) -> TestGGUF {
        var g = TestGGUF()
        g.set("general.architecture", string: "llama")
        g.set("tokenizer.ggml.model", string: "llama")
        g.set(
            "tokenizer.ggml.tokens",
            strings: ["<unk>", "<s>", "</s>", "\u{2581}", "a", "b", "c", "ab", "bc", "\u{2581}a"])
        g.set("tokenizer.ggml.scores", f32s: scores)
        g.set("tokenizer.ggml.token_type", i32s: [2, 3, 3, 1, 1, 1, 1, 1, 1, 1])
        return g
    }

    @Test func badSentencePieceMetadataIsRefusedClearly() throws {
        let dir = try LoadingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func error(_ edit: (inout TestGGUF) -> Void) throws -> String {
            var g = Self.handMade(scores: [Float](repeating: 0, count: 10))
            edit(&g)
            let path = try g.write(dir)
            return LoadingFixtures.errorText { _ = try Tokenizer(gguf: try GGUFFile(path: path)) }
        }
        let noScores = try error { $0.metadata.removeAll { $0.key == "tokenizer.ggml.scores" } }
        #expect(noScores.contains("tokenizer.ggml.scores is missing"), "\(noScores)")
        let shortScores = try error {
            $0.metadata.removeAll { $0.key == "tokenizer.ggml.scores" }
            $0.set("tokenizer.ggml.scores", f32s: [0, 0])
        }
        #expect(shortScores.contains("tokenizer.ggml.scores has 2 entries for 10 tokens"), "\(shortScores)")
        let badByte = try error {
            $0.metadata.removeAll { $0.key == "tokenizer.ggml.token_type" }
            $0.set("tokenizer.ggml.token_type", i32s: [2, 3, 3, 6, 1, 1, 1, 1, 1, 1])
        }
        #expect(badByte.contains("byte token 3 is not spelled <0xNN>"), "\(badByte)")
        let badUnk = try error { $0.set("tokenizer.ggml.unknown_token_id", u32: 99) }
        #expect(badUnk.contains("unknown-token id 99 outside the vocabulary"), "\(badUnk)")
    }

    @Test func unsupportedTokenizerJSONsAreRefusedClearly() throws {
        let dir = try LoadingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let original = try LoadingFixtures.json("tokenizer-spm/tokenizer.json")
        func error(_ edit: (inout [String: Any]) -> Void) throws -> String {
            var root = original
            edit(&root)
            let path = dir + "/tokenizer.json"
            try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
            return LoadingFixtures.errorText { _ = try Tokenizer(tokenizerJSON: path) }
        }
        let unigram = try error { root in
            var model = root["model"] as! [String: Any]
            model["type"] = "Unigram"
            root["model"] = model
        }
        #expect(unigram.contains("Unigram"), "\(unigram)")
        let split = try error { root in
            root["normalizer"] = NSNull()
            root["pre_tokenizer"] = [
                "type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "first", "split": true
            ]
        }
        #expect(split.contains("Metaspace with split true"), "\(split)")
        let lowercase = try error { root in
            root["normalizer"] = ["type": "Sequence", "normalizers": [["type": "Lowercase"]]]
        }
        #expect(lowercase.contains("normalizer step Lowercase"), "\(lowercase)")
        let badMerge = try error { root in
            var model = root["model"] as! [String: Any]
            model["merges"] = [["\u{2581}", "zzz"]]
            root["model"] = model
        }
        #expect(badMerge.contains("uses a token not in the vocabulary"), "\(badMerge)")
    }

    /// A long text is one segment (SentencePiece does not pre-tokenize): the heap of candidate
    /// merges keeps it fast, and it round-trips.
    @Test func encodesLongTextAsOneSegment() throws {
        let tokenizer = try Tokenizer(gguf: try GGUFFile(path: Self.ggufPath))
        let line = "The quick brown fox jumps over the lazy dog 1234, naïve 😀 中文.\n"
        let text = String(repeating: line, count: 2000)
        let ids = tokenizer.encode(text, addSpecialTokens: false)
        #expect(tokenizer.decode(ids) == text)
        let once = tokenizer.encode(line, addSpecialTokens: false)
        #expect(ids.count >= 1900 * once.count && ids.count <= 2000 * (once.count + 2))
    }
}

extension TestGGUF {
    mutating func set(_ key: String, f32s: [Float]) {
        metadata.append(
            (key, 9, Self.le(UInt32(6)) + Self.le(UInt64(f32s.count)) + f32s.flatMap { Self.le($0.bitPattern) }))
    }
}

import Foundation
import Testing
@testable import Model

/// Token ids against Hugging Face `tokenizers` (and llama.cpp, cross-checked by the script) on
/// the golden strings of Golden/tokenizer/cases.json, for the GGUF and the tokenizer.json sources.
@Suite struct TokenizerTests {
    typealias Case = (text: String, ids: [Int])

    static func cases(_ key: String) throws -> [Case] {
        let root = try LoadingFixtures.json("tokenizer/cases.json")
        let group = root[key] as! [String: Any]
        return (group["cases"] as! [[String: Any]]).map { ($0["text"] as! String, $0["ids"] as! [Int]) }
    }

    static func smolGGUF() throws -> Tokenizer {
        try Tokenizer(gguf: try GGUFModelTests.defaultModel())
    }

    /// Checks every case; returns the number that differ (each is recorded with its text).
    @discardableResult
    static func check(_ tokenizer: Tokenizer, _ cases: [Case], addSpecialTokens: Bool) -> Int {
        var wrong = 0
        for c in cases {
            let ids = tokenizer.encode(c.text, addSpecialTokens: addSpecialTokens)
            if ids != c.ids {
                wrong += 1
                Issue.record("\(c.text.debugDescription): got \(ids), expected \(c.ids)")
            }
        }
        return wrong
    }

    @Test func smolLM2FromGGUFMatchesHuggingFace() throws {
        let tokenizer = try Self.smolGGUF()
        let cases = try Self.cases("smollm2")
        #expect(cases.count >= 200)
        #expect(tokenizer.vocabSize == 49152)
        #expect(tokenizer.bosTokenId == 1 && tokenizer.eosTokenId == 2)
        #expect(!tokenizer.addsBOS)  // SmolLM2's GGUF: add_bos_token = false
        #expect(tokenizer.tokenString(1) == "<|im_start|>")
        #expect(tokenizer.tokenId("Ġthe") != nil)
        #expect(Self.check(tokenizer, cases, addSpecialTokens: true) == 0)
    }

    @Test func smolLM2FromTokenizerJSONMatchesHuggingFace() throws {
        let tokenizer = try Tokenizer(
            tokenizerJSON: LoadingFixtures.path("tokenizer/smollm2-tokenizer.json"),
            bosTokenId: 1, eosTokenId: 2)
        #expect(tokenizer.vocabSize == 49152)
        #expect(tokenizer.prefixTokenIds.isEmpty)
        #expect(Self.check(tokenizer, try Self.cases("smollm2"), addSpecialTokens: true) == 0)
    }

    @Test func tinyTokenizerJSONsMatchHuggingFaceIncludingBOS() throws {
        let llama = try Tokenizer(
            tokenizerJSON: LoadingFixtures.path("tiny-llama/tokenizer.json"), bosTokenId: 1, eosTokenId: 2)
        #expect(llama.addsBOS && llama.prefixTokenIds == [1])
        #expect(Self.check(llama, try Self.cases("tiny_llama"), addSpecialTokens: true) == 0)
        let gpt2 = try Tokenizer(
            tokenizerJSON: LoadingFixtures.path("tiny-gpt2/tokenizer.json"), bosTokenId: 2, eosTokenId: 2)
        #expect(!gpt2.addsBOS)
        #expect(Self.check(gpt2, try Self.cases("tiny_gpt2"), addSpecialTokens: true) == 0)
        // without special tokens the BOS is left out
        #expect(llama.encode("hello", addSpecialTokens: false) == Array(llama.encode("hello").dropFirst()))
    }

    /// LLaMA-3's Split regex (with ignore_merges), ByteLevel with add_prefix_space, digit runs, and
    /// added tokens with lstrip / rstrip.
    @Test(arguments: ["llama3", "gpt2_prefix_space", "digit_runs", "strip_specials"])
    func preTokenizerVariantsMatchHuggingFace(variant: String) throws {
        let tokenizer = try Tokenizer(tokenizerJSON: LoadingFixtures.path("tokenizer/variants/\(variant).json"))
        let root = try LoadingFixtures.json("tokenizer/cases.json")
        let cases = ((root["variants"] as! [String: Any])[variant] as! [[String: Any]])
            .map { (text: $0["text"] as! String, ids: $0["ids"] as! [Int]) }
        #expect(cases.count >= 200)
        #expect(Self.check(tokenizer, cases, addSpecialTokens: true) == 0)
    }

    @Test func decodeRoundTripsEveryGoldenString() throws {
        let tokenizers = [
            try Self.smolGGUF(),
            try Tokenizer(tokenizerJSON: LoadingFixtures.path("tiny-gpt2/tokenizer.json"))
        ]
        for tokenizer in tokenizers {
            for c in try Self.cases("smollm2") {
                let decoded = tokenizer.decode(tokenizer.encode(c.text, addSpecialTokens: false))
                #expect(
                    decoded.unicodeScalars.elementsEqual(c.text.unicodeScalars),
                    "\(c.text.debugDescription) -> \(decoded.debugDescription)")
            }
        }
        let smol = try Self.smolGGUF()
        let user = try #require(smol.tokenId("user")), newline = try #require(smol.tokenId("Ċ"))
        #expect(smol.decode([1, user, newline, 2]) == "<|im_start|>user\n<|im_end|>")
        // a token that is half of a UTF-8 character decodes to U+FFFD, as Hugging Face does
        let emoji = smol.encode("😀", addSpecialTokens: false)
        if emoji.count > 1 { #expect(smol.decode([emoji[0]]).contains("\u{FFFD}")) }
    }

    /// Encodes 3,000 real Dolly records and prints the rate; speed itself is measured by
    /// `make bench` as a ratio against Hugging Face `tokenizers`, never by a time limit here.
    @Test func encodesThousandsOfRealSamples() throws {
        let tokenizer = try Self.smolGGUF()
        var texts: [String] = []
        let dolly = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../data/dolly/databricks-dolly-15k.jsonl").standardizedFileURL
        let data = try String(contentsOf: dolly, encoding: .utf8)
        for line in data.split(separator: "\n").prefix(3000) { texts.append(String(line)) }
        let start = Date()
        var tokens = 0
        for t in texts { tokens += tokenizer.encode(t).count }
        let seconds = Date().timeIntervalSince(start)
        print(
            "tokenizer: \(texts.count) Dolly records, \(tokens) tokens in \(String(format: "%.3f", seconds)) s = \(Int(Double(tokens) / seconds)) tokens/s"
        )
        #expect(texts.count == 3000 && tokens > 100 * texts.count)
        for t in texts.prefix(200) { #expect(tokenizer.decode(tokenizer.encode(t, addSpecialTokens: false)) == t) }
    }
}

import Foundation
import Testing
@testable import Data

struct TokenizationGolden: Decodable {
    struct Item: Decodable {
        var dataset: String
        var template: String
        var id: Int
        var instruction: String
        var input: String
        var output: String
        var prompt: String
        var input_ids: [Int]
        var labels: [Int]
        var prompt_length: Int
    }
    var eos_id: Int
    var pad_id: Int
    var bos_id: Int
    var adds_bos: Bool
    var max_length: Int
    var samples: [Item]
    /// Hugging Face encodings (no special tokens) of every prompt and prompt + response.
    var encodings: [String: [Int]]

    static func load() throws -> TokenizationGolden {
        let data = try Data(contentsOf: TestPaths.golden.appendingPathComponent("tokenization.json"))
        return try JSONDecoder().decode(TokenizationGolden.self, from: data)
    }

    func template(_ item: Item) -> PromptTemplate {
        item.template == "dolly" ? .dolly : .naturalInstructions
    }
}

@Suite struct PromptTokenizerTests {
    @Test func templatesRenderTheReferencePromptsOf20RealSamples() throws {
        let golden = try TokenizationGolden.load()
        #expect(golden.samples.count == 20)
        for item in golden.samples {
            let prompt = golden.template(item).prompt(instruction: item.instruction, input: item.input)
            #expect(prompt == item.prompt, "sample \(item.dataset) \(item.id)")
        }
        // Both Dolly variants occur.
        #expect(golden.samples.contains { $0.template == "dolly" && $0.input.isEmpty })
        #expect(golden.samples.contains { $0.template == "dolly" && !$0.input.isEmpty })
    }

    /// The masking, EOS and truncation logic against the reference's labels, with the Hugging Face
    /// encodings of the golden as the tokenizer (independent of Model's tokenizer).
    @Test func labelsMatchTheReferenceWithHuggingFaceEncodings() throws {
        let golden = try TokenizationGolden.load()
        let table = golden.encodings
        let tokenizer = TokenizerFunctions(
            encode: { text in table[text] ?? [-1] }, eosID: golden.eos_id,
            bosID: golden.bos_id, addsBOS: golden.adds_bos, padID: golden.pad_id)
        var truncated = 0
        for item in golden.samples {
            let sample = Sample(
                id: item.id, instruction: item.instruction, input: item.input, output: item.output, category: "")
            let t = try PromptTokenizer.training(
                sample: sample, template: golden.template(item), tokenizer: tokenizer,
                maxLength: golden.max_length)
            #expect(!t.inputIDs.contains(-1), "golden lacks an encoding")
            #expect(t.inputIDs == item.input_ids, "sample \(item.dataset) \(item.id)")
            #expect(t.labels == item.labels, "sample \(item.dataset) \(item.id)")
            #expect(t.promptLength == item.prompt_length)
            if t.inputIDs.count == golden.max_length {
                truncated += 1
            } else {
                #expect(t.inputIDs.last == golden.eos_id && t.labels.last == golden.eos_id)
            }
            #expect(t.lossMask.prefix(t.promptLength).allSatisfy { !$0 })
            #expect(t.lossMask.dropFirst(t.promptLength).allSatisfy { $0 })
        }
        #expect(truncated == 2)
    }

    @Test func bosAndTruncationRules() throws {
        let chars: @Sendable (String) -> [Int] = { $0.unicodeScalars.map { Int($0.value) } }
        let withBOS = TokenizerFunctions(encode: chars, eosID: 2, bosID: 1, addsBOS: true)
        let t = try PromptTokenizer.training(prompt: "ab", response: "cd", tokenizer: withBOS, maxLength: 100)
        #expect(t.inputIDs == [1, 97, 98, 99, 100, 2])
        #expect(t.labels == [-100, -100, -100, 99, 100, 2])
        let cut = try PromptTokenizer.training(prompt: "ab", response: "cd", tokenizer: withBOS, maxLength: 4)
        #expect(cut.inputIDs == [1, 97, 98, 99])
        #expect(cut.labels == [-100, -100, -100, 99])
        let allPrompt = try PromptTokenizer.training(prompt: "abcdef", response: "x", tokenizer: withBOS, maxLength: 3)
        #expect(allPrompt.labels == [-100, -100, -100])
        #expect(PromptTokenizer.generationInput(prompt: "abc", tokenizer: withBOS, maxLength: 3) == [1, 97, 98])
        #expect(throws: DataError.self) {
            try PromptTokenizer.training(prompt: "a", response: "b", tokenizer: withBOS, maxLength: 0)
        }
    }

    @Test func templatesLeaveBracesInValuesAlone() {
        let p = PromptTemplate.dolly.prompt(instruction: "use {input} literally", input: "x {instruction}")
        #expect(p.contains("use {input} literally"))
        #expect(p.contains("x {instruction}"))
        #expect(
            PromptTemplate.naturalInstructions.prompt(instruction: "d", input: "").hasSuffix(
                "### Input:\n\n\n### Response:"))
        #expect(
            PromptTemplate.dolly.prompt(instruction: "d", input: "").hasSuffix("### Instruction:\nd\n\n### Response:"))
    }
}

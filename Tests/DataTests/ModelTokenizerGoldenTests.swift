import Foundation
import Model
import Testing
@testable import Data

/// The prompt tokenization of 20 real samples with the project's own SmolLM2 tokenizer (Model)
/// against the Hugging Face reference golden.
@Suite struct ModelTokenizerGoldenTests {
    static func modelPath() -> String {
        ProcessInfo.processInfo.environment["FEDHDS_MODEL"]
            ?? FileManager.default.homeDirectoryForCurrentUser.path
            + "/.cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    @Test func idsAndLabelMasksMatchHuggingFace() throws {
        let path = Self.modelPath()
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("SmolLM2 GGUF not found at \(path): run `bash scripts/fetch-model.sh` or set FEDHDS_MODEL")
            return
        }
        let tokenizer = try ModelLoader.loadTokenizer(path: path)
        let golden = try TokenizationGolden.load()
        #expect(tokenizer.eosTokenId == golden.eos_id)
        #expect(tokenizer.addsBOS == golden.adds_bos)
        let functions = TokenizerFunctions(
            encode: { tokenizer.encode($0, addSpecialTokens: false) },
            eosID: try #require(tokenizer.eosTokenId), bosID: tokenizer.bosTokenId,
            addsBOS: tokenizer.addsBOS, padID: tokenizer.eosTokenId)  // SmolLM2: pad = eos
        var matched = 0
        for item in golden.samples {
            let sample = Sample(
                id: item.id, instruction: item.instruction, input: item.input, output: item.output, category: "")
            let t = try PromptTokenizer.training(
                sample: sample, template: golden.template(item), tokenizer: functions,
                maxLength: golden.max_length)
            #expect(t.inputIDs == item.input_ids, "input ids of \(item.dataset) sample \(item.id)")
            #expect(t.labels == item.labels, "labels of \(item.dataset) sample \(item.id)")
            if t.inputIDs == item.input_ids && t.labels == item.labels { matched += 1 }
        }
        #expect(matched == 20)
    }
}

import Foundation
import Testing
@testable import Model

/// SmolLM2-135M-Instruct (Q4_1 GGUF, dequantised to float32 at load) against PyTorch transformers
/// loading the same GGUF (all 31 hidden-state slots of the last token, logits) and, when the golden
/// holds them, llama.cpp on the same file (logits, 32 greedy tokens). Goldens: Golden/inference/smollm2.json, made by
/// `make_goldens.py smollm2-hf` (and `smollm2-llamacpp`). Needs the model: env FEDHDS_MODEL or the default cache path
/// (`bash scripts/fetch-model.sh`); without it these tests fail, naming the missing file.
@Suite(.serialized) struct InferenceSmolLM2Tests {
    struct Golden: Decodable {
        struct Prompt: Decodable {
            var text: String
            var tokens: [Int]
            // transformers loading the same GGUF
            var hfHiddenHead: [Float]
            var hfHiddenNorms: [Float]
            var hfHiddenLast: [Float]
            var hfTopIds: [Int]
            var hfTopLogits: [Float]
            var hfArgmax: [Int]
            // llama.cpp
            var argmax: [Int]?
            var topIds: [Int]?
            var topLogits: [Float]?
            var sliceStart: Int?
            var slice: [Float]?
            var greedy: [Int]?
        }
        var prompts: [Prompt]
    }

    static let golden: Golden = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Golden/inference/smollm2.json")
        return try! JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }()

    static let modelPath: String = ProcessInfo.processInfo.environment["FEDHDS_MODEL"]
        ?? FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf").path

    /// Loaded once for the suite; a missing or unreadable model is a test failure naming the path.
    static let decoder: Result<Decoder, Error> = Result {
        guard FileManager.default.fileExists(atPath: modelPath) else {
            throw ModelError.invalidFile(path: modelPath, reason: "SmolLM2 GGUF not found: run `bash scripts/fetch-model.sh` or set FEDHDS_MODEL")
        }
        return Decoder(weights: try ModelLoader.load(path: modelPath).weights)
    }

    @Test func allHiddenStatesAgreeWithTransformers() throws {
        let decoder = try Self.decoder.get()
        let c = decoder.config, d = c.hiddenSize, slots = c.hiddenStateSlots
        let prompts = Self.golden.prompts
        #expect(prompts.count >= 5)
        let features = try decoder.lastTokenFeatures(prompts.map(\.tokens))
        let allLogits = try decoder.forward(prompts.map(\.tokens), outputs: ForwardOutputs(logits: .allTokens)).logits
        var worstRel: Float = 0, worstHead: Float = 0, worstLast: Float = 0, worstLogit: Float = 0
        var argmaxAgree = 0, positions = 0
        for (s, p) in prompts.enumerated() {
            let f = features[s]
            #expect(f.count == slots * d)
            for slot in 0..<slots {
                let v = f[(slot * d)..<((slot + 1) * d)]
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                let ref = p.hfHiddenNorms[slot]
                worstRel = max(worstRel, abs(norm - ref) / ref)
                for j in 0..<64 {
                    worstHead = max(worstHead, abs(v[slot * d + j] - p.hfHiddenHead[slot * 64 + j]) / max(1, ref / Float(d).squareRoot()))
                }
            }
            worstLast = max(worstLast, InferenceFixtures.maxAbsDiff(Array(f[((slots - 1) * d)...]), p.hfHiddenLast))
            let V = c.vocabSize, n = p.tokens.count
            for (id, value) in zip(p.hfTopIds, p.hfTopLogits) { worstLogit = max(worstLogit, abs(allLogits[s][(n - 1) * V + id] - value)) }
            for i in 0..<n {
                let row = allLogits[s][(i * V)..<((i + 1) * V)]
                if row.indices.max(by: { row[$0] < row[$1] })! - i * V == p.hfArgmax[i] { argmaxAgree += 1 }
                positions += 1
            }
        }
        print("SmolLM2 vs transformers (same GGUF): max rel. error of slot norms \(worstRel), max scaled diff of "
              + "64-value slices \(worstHead), max |diff| final slot \(worstLast), max |logit diff| \(worstLogit), "
              + "argmax agreement \(argmaxAgree)/\(positions)")
        // Same dequantised float32 weights on both sides: differences are float32 rounding only.
        // Measured: 6e-7, 8e-6, 2e-5, 2e-5.
        #expect(worstRel < 1e-5)
        #expect(worstHead < 1e-4)
        #expect(worstLast < 1e-3)
        #expect(worstLogit < 1e-3)
        #expect(argmaxAgree == positions)
    }

    @Test func batchedGenerationEqualsOneAtATime() throws {
        let decoder = try Self.decoder.get()
        let prompts = Self.golden.prompts.map(\.tokens)
        let batched = try decoder.generate(prompts: prompts, maxNewTokens: 16, eosTokenIds: [], maxBatch: 4)
        for (s, p) in prompts.enumerated() {
            #expect(try decoder.generate(prompts: [p], maxNewTokens: 16, eosTokenIds: [])[0] == batched[s], "prompt \(s)")
        }
    }

}

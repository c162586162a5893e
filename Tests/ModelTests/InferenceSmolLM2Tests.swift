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

    static let modelPath: String =
        ProcessInfo.processInfo.environment["FEDHDS_MODEL"]
        ?? FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf").path

    /// Loaded once for the suite; a missing or unreadable model is a test failure naming the path.
    static let decoder: Result<Decoder, Error> = Result {
        guard FileManager.default.fileExists(atPath: modelPath) else {
            throw ModelError.invalidFile(
                path: modelPath, reason: "SmolLM2 GGUF not found: run `bash scripts/fetch-model.sh` or set FEDHDS_MODEL"
            )
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
                    worstHead = max(
                        worstHead,
                        abs(v[slot * d + j] - p.hfHiddenHead[slot * 64 + j]) / max(1, ref / Float(d).squareRoot()))
                }
            }
            worstLast = max(worstLast, InferenceFixtures.maxAbsDiff(Array(f[((slots - 1) * d)...]), p.hfHiddenLast))
            let V = c.vocabSize, n = p.tokens.count
            for (id, value) in zip(p.hfTopIds, p.hfTopLogits) {
                worstLogit = max(worstLogit, abs(allLogits[s][(n - 1) * V + id] - value))
            }
            for i in 0..<n {
                let row = allLogits[s][(i * V)..<((i + 1) * V)]
                if row.indices.max(by: { row[$0] < row[$1] })! - i * V == p.hfArgmax[i] { argmaxAgree += 1 }
                positions += 1
            }
        }
        print(
            "SmolLM2 vs transformers (same GGUF): max rel. error of slot norms \(worstRel), max scaled diff of "
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
            #expect(
                try decoder.generate(prompts: [p], maxNewTokens: 16, eosTokenIds: [])[0] == batched[s], "prompt \(s)")
        }
    }

    /// The llama.cpp fields of every golden prompt (a golden made without `smollm2-llamacpp` fails here).
    struct LlamaCppGolden {
        var tokens: [Int], argmax: [Int], topIds: [Int], topLogits: [Float], sliceStart: Int, slice: [Float],
            greedy: [Int]
    }

    static func llamaCpp() throws -> [LlamaCppGolden] {
        try golden.prompts.map { p in
            guard let argmax = p.argmax, let topIds = p.topIds, let topLogits = p.topLogits,
                let sliceStart = p.sliceStart,
                let slice = p.slice, let greedy = p.greedy
            else {
                throw ModelError.invalidFile(
                    path: "Golden/inference/smollm2.json",
                    reason: "no llama.cpp outputs: run make_goldens.py smollm2-llamacpp")
            }
            return LlamaCppGolden(
                tokens: p.tokens, argmax: argmax, topIds: topIds, topLogits: topLogits,
                sliceStart: sliceStart, slice: slice, greedy: greedy)
        }
    }

    @Test func logitsAgreeWithLlamaCpp() throws {
        let decoder = try Self.decoder.get()
        let V = decoder.config.vocabSize
        let prompts = try Self.llamaCpp()
        let r = try decoder.forward(prompts.map(\.tokens), outputs: ForwardOutputs(logits: .allTokens))
        var agree = 0, positions = 0
        var worstTop: Float = 0, worstSlice: Float = 0, lastTop1 = 0
        for (s, p) in prompts.enumerated() {
            let n = p.tokens.count
            let logits = r.logits[s]
            for i in 0..<n {
                let row = logits[(i * V)..<((i + 1) * V)]
                if row.indices.max(by: { row[$0] < row[$1] })! - i * V == p.argmax[i] { agree += 1 }
                positions += 1
            }
            let last = Array(logits[((n - 1) * V)...])
            if last.indices.max(by: { last[$0] < last[$1] }) == p.topIds[0] { lastTop1 += 1 }
            for (id, value) in zip(p.topIds, p.topLogits) { worstTop = max(worstTop, abs(last[id] - value)) }
            for (j, value) in p.slice.enumerated() { worstSlice = max(worstSlice, abs(last[p.sliceStart + j] - value)) }
        }
        let agreement = Double(agree) / Double(positions)
        print(
            "SmolLM2 vs llama.cpp: top-1 agreement \(agree)/\(positions) positions (\(agreement)), last token "
                + "\(lastTop1)/\(prompts.count); max |logit diff| top-32 \(worstTop), slice \(worstSlice)")
        // llama.cpp multiplies the Q4_1 weights with Q8-quantised activations; we multiply the
        // dequantised weights in float32, so logits (magnitude 10-30) differ a little. Measured:
        // max 0.42 on the top-32, 0.63 on the slice, top-1 agreement 106/106.
        #expect(worstTop < 0.6)
        #expect(worstSlice < 0.8)
        #expect(agreement >= 0.98)
        #expect(lastTop1 == prompts.count)
    }

    @Test func greedyTokensEqualLlamaCpp() throws {
        let decoder = try Self.decoder.get()
        let prompts = try Self.llamaCpp()
        let ours = try decoder.generate(prompts: prompts.map(\.tokens), maxNewTokens: 32, eosTokenIds: [])
        var exact = 0
        for (s, p) in prompts.enumerated() {
            let firstDiff = zip(ours[s], p.greedy).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            if ours[s] == p.greedy { exact += 1 }
            print(
                "SmolLM2 greedy vs llama.cpp, prompt \(s): "
                    + (firstDiff.map { "first difference at token \($0)" } ?? "32/32 equal"))
        }
        // Measured: prompts 0, 3, 4 equal for 32 tokens; 1, 2, 5 part at tokens 5, 27, 20, where
        // llama.cpp's quantised activations flip a near tie.
        #expect(exact >= 3, "\(exact) of \(prompts.count) prompts give llama.cpp's 32 greedy tokens")
    }

}

import Foundation
import Testing
@testable import Model

/// Forward pass of tiny random LLaMA (GQA, rope base 500, separate head) and GPT-2 models against
/// PyTorch `transformers` (float64 forward): logits and all hidden states of every token.
/// Goldens: Golden/inference/tiny-*.{bin,json}, made by make_goldens.py tiny.
@Suite struct ForwardGoldenTests {
    struct Golden: Decodable {
        struct Entry: Decodable { var name: String; var shape: [Int]; var offset: Int }
        struct Reference: Decodable { var tokens: [Int]; var logits: [Float]; var hidden: [Float] }
        var config: ModelConfig
        var tensors: [Entry]
        var reference: [Reference]
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden/inference")

    static func load(_ name: String) throws -> (ModelWeights, Golden) {
        let golden = try JSONDecoder().decode(
            Golden.self, from: Data(contentsOf: folder.appendingPathComponent(name + ".json")))
        let raw = try Data(contentsOf: folder.appendingPathComponent(name + ".bin"))
        let floats: [Float] = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        var tensors: [String: Tensor] = [:]
        for e in golden.tensors {
            let n = e.shape.reduce(1, *)
            tensors[e.name] = Tensor(shape: e.shape, data: Array(floats[e.offset..<(e.offset + n)]))
        }
        return (try ModelWeights(huggingFace: tensors, config: golden.config, source: name), golden)
    }

    @Test(arguments: ["tiny-llama", "tiny-gpt2"])
    func logitsAndAllHiddenStatesEqualTransformers(name: String) throws {
        let (weights, golden) = try Self.load(name)
        let decoder = Decoder(weights: weights)
        let batch = golden.reference.map(\.tokens)
        // All sequences in one packed call.
        let r = try decoder.forward(batch, outputs: ForwardOutputs(logits: .allTokens, hiddenStates: .allTokens))
        var worstLogit: Float = 0, worstHidden: Float = 0
        for (s, ref) in golden.reference.enumerated() {
            worstLogit = max(worstLogit, InferenceFixtures.maxAbsDiff(r.logits[s], ref.logits))
            worstHidden = max(worstHidden, InferenceFixtures.maxAbsDiff(r.hiddenStates[s], ref.hidden))
            #expect(InferenceFixtures.maxAbs(ref.logits) > 1, "the golden logits are not trivially small")
        }
        print("\(name): max |logit diff| \(worstLogit), max |hidden diff| \(worstHidden) vs transformers")
        #expect(worstLogit < 5e-5)
        #expect(worstHidden < 5e-5)
        // And the last-token features equal the reference's last rows of every slot.
        let features = try decoder.lastTokenFeatures(batch)
        let d = golden.config.hiddenSize
        for (s, ref) in golden.reference.enumerated() {
            let n = ref.tokens.count
            var expected: [Float] = []
            for slot in 0..<golden.config.hiddenStateSlots {
                expected += ref.hidden[((slot * n + n - 1) * d)..<((slot * n + n) * d)]
            }
            #expect(InferenceFixtures.maxAbsDiff(features[s], expected) < 2e-4)
        }
    }
}

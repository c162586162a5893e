import Foundation
import Testing
@testable import Model

/// The default model (SmolLM2-135M-Instruct Q4_1) loaded from its GGUF against transformers'
/// dequantised, un-permuted weights of the same file (Golden/loading/smollm2_weights.json).
@Suite struct GGUFModelTests {
    static func defaultModel() throws -> GGUFFile {
        let path = LoadingFixtures.defaultModelPath
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("default model not found at \(path): run `bash scripts/fetch-model.sh` or set FEDHDS_MODEL")
            throw ModelError.invalidFile(path: path, reason: "missing")
        }
        return try GGUFFile(path: path)
    }

    @Test func readsMetadataAndTensorDirectory() throws {
        let gguf = try Self.defaultModel()
        #expect(gguf.version == 3)
        #expect(gguf.metadata["general.architecture"] == .string("llama"))
        #expect(gguf.metadata["tokenizer.ggml.pre"] == .string("smollm"))
        #expect(gguf.metadata["tokenizer.ggml.tokens"]?.array?.count == 49152)
        #expect(gguf.metadata["tokenizer.ggml.merges"]?.array?.count == 48900)
        #expect(gguf.tensors.count == 272)
        let embd = try #require(gguf.tensorInfo("token_embd.weight"))
        #expect(embd.shape == [49152, 576] && embd.typeName == "Q8_0")
        #expect(gguf.tensorInfo("blk.0.attn_q.weight")?.typeName == "Q4_1")
        let config = try ModelConfig(gguf: gguf)
        #expect(
            config
                == ModelConfig(
                    architecture: .llama, vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536,
                    layerCount: 30, headCount: 9, kvHeadCount: 3, contextLength: 8192,
                    ropeTheta: 100000, normEpsilon: 1e-5, tiedEmbeddings: true,
                    bosTokenId: 1, eosTokenId: 2))
    }

    @Test func weightsEqualTransformersDequantisedAndUnpermuted() throws {
        let start = Date()
        let weights = try ModelWeights(gguf: try Self.defaultModel())
        let seconds = Date().timeIntervalSince(start)
        print("GGUF load of SmolLM2 (Q4_1/Q8_0 -> f32): \(String(format: "%.2f", seconds)) s")
        #expect(weights.lmHead == nil)
        let golden = try LoadingFixtures.json("loading/smollm2_weights.json")["tensors"] as! [String: [String: Any]]
        func ours(_ name: String) -> Tensor? {
            if name == "model.embed_tokens.weight" { return weights.tokenEmbedding }
            if name == "model.norm.weight" { return weights.finalNorm.weight }
            let parts = name.split(separator: ".")
            guard let layer = Int(parts[2]) else { return nil }
            let l = weights.layers[layer]
            switch parts[3] {
            case "input_layernorm": return l.attentionNorm.weight
            case "post_attention_layernorm": return l.mlpNorm.weight
            default: return Projection(rawValue: String(parts[4])).flatMap { l.projections[$0]?.weight }
            }
        }
        for (name, e) in golden.sorted(by: { $0.key < $1.key }) {
            let t = try #require(ours(name), "\(name)")
            #expect(t.shape == e["shape"] as! [Int], "\(name)")
            let sum = t.data.reduce(0.0) { $0 + Double($1) }
            let sumsq = t.data.reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(abs(sum - (e["sum"] as! Double)) <= 1e-6 * max(1, abs(sumsq)), "\(name) sum")
            #expect(abs(sumsq - (e["sumsq"] as! Double)) <= 1e-6 * sumsq, "\(name) sumsq")
            let columns = t.columns
            if let rows = e["rows"] as? [String: [Double]] {
                for (r, values) in rows {
                    let row = Int(r)!
                    for (j, v) in values.enumerated() {
                        #expect(t.data[row * columns + j] == Float(v), "\(name)[\(row), \(j)]")
                    }
                }
            } else if let head = e["head"] as? [Double] {
                for (j, v) in head.enumerated() { #expect(t.data[j] == Float(v), "\(name)[\(j)]") }
            }
            if let rowsums = e["rowsums"] as? [Double] {
                // q/k: every row is where transformers puts it (the GGUF permutation is undone)
                var worst = 0.0
                for (r, s) in rowsums.enumerated() {
                    let ourSum = t.data[(r * columns)..<((r + 1) * columns)].reduce(0.0) { $0 + Double($1) }
                    worst = max(worst, abs(ourSum - s))
                }
                #expect(worst < 1e-4, "\(name) row sums differ by \(worst)")
            }
        }
    }
}

import Foundation
import Testing
@testable import Model

/// `ModelLoader.load` on the default GGUF and on the tiny Hugging Face folders saved by
/// transformers (Golden/tiny-llama, Golden/tiny-gpt2, Golden/loading/tiny-llama-sharded).
@Suite struct LoadingTests {
    static var expect: [String: Any] { try! LoadingFixtures.json("loading/expect.json") }

    /// Every tensor of the folder equals what torch saved: shape, sum, and the first values.
    static func compare(_ w: ModelWeights, _ key: String) {
        let tensors = (expect[key] as! [String: Any])["tensors"] as! [String: [String: Any]]
        var checked = 0
        for (name, e) in tensors.sorted(by: { $0.key < $1.key }) {
            guard let (t, transposed) = LoadingFixtures.tensor(w, hfName: name) else {
                #expect(name == "lm_head.weight" && w.config.tiedEmbeddings, "\(name) not loaded")
                continue
            }
            let shape = e["shape"] as! [Int]
            #expect(t.shape == (transposed ? shape.reversed() : shape), "\(name)")
            let sum = t.data.reduce(0.0) { $0 + Double($1) }
            #expect(abs(sum - (e["sum"] as! Double)) < 1e-4, "\(name) sum")
            if let head = e["head"] as? [[Double]] {
                for (r, row) in head.enumerated() {
                    for (c, v) in row.enumerated() {
                        let ours = transposed ? t.data[c * t.columns + r] : t.data[r * t.columns + c]
                        #expect(ours == Float(v), "\(name)[\(r), \(c)]")
                    }
                }
            } else if let head = e["head"] as? [Double] {
                for (c, v) in head.enumerated() { #expect(t.data[c] == Float(v), "\(name)[\(c)]") }
            }
            checked += 1
        }
        #expect(checked >= 20)
    }

    @Test func tinyLlamaFolderLoadsAsSavedByTransformers() throws {
        let model = try ModelLoader.load(path: LoadingFixtures.path("tiny-llama"))
        #expect(
            model.config
                == ModelConfig(
                    architecture: .llama, vocabSize: 512, hiddenSize: 32, intermediateSize: 64,
                    layerCount: 2, headCount: 4, kvHeadCount: 2, contextLength: 64,
                    ropeTheta: 10000, normEpsilon: 1e-6, tiedEmbeddings: false,
                    bosTokenId: 1, eosTokenId: 2))
        #expect(model.weights.lmHead != nil)
        #expect(model.tokenizer.addsBOS && model.tokenizer.vocabSize == 512)
        Self.compare(model.weights, "tiny_llama")
    }

    @Test func shardedFolderEqualsSingleFile() throws {
        let single = try ModelLoader.load(path: LoadingFixtures.path("tiny-llama"))
        // the sharded copy has no tokenizer.json: weights only
        let dir = LoadingFixtures.path("loading/tiny-llama-sharded")
        let config = try ModelConfig(huggingFaceConfig: dir + "/config.json")
        let tensors = try HuggingFaceFolder.readTensors(folder: URL(fileURLWithPath: dir))
        #expect(tensors.count == 21)
        let sharded = try ModelWeights(huggingFace: tensors, config: config, source: dir)
        #expect(sharded == single.weights)
        #expect(LoadingFixtures.errorText { _ = try ModelLoader.load(path: dir) }.contains("tokenizer.json is missing"))
    }

    @Test func tinyGPT2FolderLoadsWithConv1DTransposed() throws {
        let model = try ModelLoader.load(path: LoadingFixtures.path("tiny-gpt2"))
        #expect(
            model.config
                == ModelConfig(
                    architecture: .gpt2, vocabSize: 512, hiddenSize: 32, intermediateSize: 128,
                    layerCount: 2, headCount: 4, kvHeadCount: 4, contextLength: 64,
                    ropeTheta: 10000, normEpsilon: 1e-5, tiedEmbeddings: true,
                    bosTokenId: 2, eosTokenId: 2))
        #expect(model.weights.lmHead == nil && model.weights.positionEmbedding?.shape == [64, 32])
        #expect(!model.tokenizer.addsBOS)
        Self.compare(model.weights, "tiny_gpt2")
    }

    @Test func smolLM2GGUFLoadsWithTokenizer() throws {
        _ = try GGUFModelTests.defaultModel()
        let start = Date()
        let model = try ModelLoader.load(path: LoadingFixtures.defaultModelPath)
        let seconds = Date().timeIntervalSince(start)
        print("ModelLoader.load(SmolLM2 Q4_1 GGUF): \(String(format: "%.2f", seconds)) s")
        #expect(model.config.layerCount == 30 && model.weights.layers.count == 30)
        #expect(model.tokenizer.vocabSize == 49152 && model.tokenizer.eosTokenId == 2)
    }
}

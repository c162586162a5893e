import Foundation
import Testing
@testable import Model

/// The tiny GGUF files of Golden/loading (written like llama.cpp's converter, in Q4_0/Q8_0/Q4_1,
/// BF16/F16 and F16/F32) against transformers' dequantised, un-permuted tensors of the same files.
@Suite struct GGUFTinyModelTests {
    static func check(_ file: String) throws -> LoadedModel {
        let model = try ModelLoader.load(path: LoadingFixtures.path("loading/" + file))
        let all = try LoadingFixtures.json("loading/tiny_gguf_expect.json")
        let expect = all[file] as! [String: [String: Any]]
        var checked = 0
        for (name, e) in expect.sorted(by: { $0.key < $1.key }) {
            let (t, transposed) = try #require(LoadingFixtures.tensor(model.weights, hfName: name), "\(file): \(name)")
            let shape = e["shape"] as! [Int]
            #expect(t.shape == (transposed ? shape.reversed() : shape), "\(file): \(name)")
            let sum = t.data.reduce(0.0) { $0 + Double($1) }
            #expect(abs(sum - (e["sum"] as! Double)) < 1e-4, "\(file): \(name) sum")
            func value(_ r: Int, _ c: Int) -> Float {
                transposed ? t.data[c * t.columns + r] : t.data[r * t.columns + c]
            }
            if let head = e["head"] as? [[Double]] {
                for (r, row) in head.enumerated() {
                    for (c, v) in row.enumerated() { #expect(value(r, c) == Float(v), "\(file): \(name)[\(r), \(c)]") }
                }
                // every row in the right place (Q/K un-permuted, Conv1D transposed)
                let rowsums = e["rowsums"] as! [Double]
                let rows = transposed ? t.columns : t.rows, cols = transposed ? t.rows : t.columns
                var worst = 0.0
                for r in 0..<rows {
                    var s = 0.0
                    for c in 0..<cols { s += Double(value(r, c)) }
                    worst = max(worst, abs(s - rowsums[r]))
                }
                #expect(worst < 1e-4, "\(file): \(name) row sums differ by \(worst)")
            } else if let head = e["head"] as? [Double] {
                for (c, v) in head.enumerated() { #expect(t.data[c] == Float(v), "\(file): \(name)[\(c)]") }
            }
            checked += 1
        }
        #expect(checked >= 20)
        return model
    }

    @Test func llamaQ4_0Q8_0Q4_1() throws {
        let model = try Self.check("tiny-llama.Q4_0.gguf")
        #expect(model.config.layerCount == 2 && model.config.kvHeadCount == 2 && !model.config.tiedEmbeddings)
        #expect(model.config.normEpsilon == 1e-6)
    }

    @Test func llamaBF16F16() throws {
        let model = try Self.check("tiny-llama.BF16.gguf")
        #expect(model.weights.lmHead != nil)
    }

    @Test func gpt2F16WithDuplicatedOutputIsTied() throws {
        let model = try Self.check("tiny-gpt2.F16.gguf")
        #expect(model.config.architecture == .gpt2 && model.config.intermediateSize == 128)
        #expect(model.config.tiedEmbeddings && model.weights.lmHead == nil)
        #expect(model.weights.positionEmbedding?.shape == [64, 32])
    }

    /// The same vocabularies stored as GGUF metadata give the same ids as their tokenizer.json.
    @Test func tinyGGUFTokenizersMatchTheirTokenizerJSONGoldens() throws {
        let llama = try ModelLoader.loadTokenizer(path: LoadingFixtures.path("loading/tiny-llama.Q4_0.gguf"))
        #expect(llama.addsBOS)
        #expect(TokenizerTests.check(llama, try TokenizerTests.cases("tiny_llama"), addSpecialTokens: true) == 0)
        let gpt2 = try ModelLoader.loadTokenizer(path: LoadingFixtures.path("loading/tiny-gpt2.F16.gguf"))
        #expect(!gpt2.addsBOS)
        #expect(TokenizerTests.check(gpt2, try TokenizerTests.cases("tiny_gpt2"), addSpecialTokens: true) == 0)
    }
}

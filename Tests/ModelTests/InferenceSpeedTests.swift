import Foundation
import Testing
@testable import Model

/// Throughput on SmolLM2-shaped random weights; runs only with FEDHDS_PERF=1 (prints, asserts
/// nothing about speed). The real comparison against PyTorch and llama.cpp is bench/model-inference.sh.
@Suite struct InferenceSpeedTests {
    static let enabled = ProcessInfo.processInfo.environment["FEDHDS_PERF"] == "1"

    @Test(.enabled(if: enabled)) func smolLM2ShapedThroughput() throws {
        let c = ModelConfig(
            architecture: .llama, vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536,
            layerCount: 30, headCount: 9, kvHeadCount: 3, contextLength: 8192,
            ropeTheta: 100000, normEpsilon: 1e-5, tiedEmbeddings: true)
        var rng = InferenceRNG(seed: 1)
        let decoder = Decoder(weights: .random(config: c, using: &rng))
        let batch = InferenceFixtures.sequences(lengths: (0..<16).map { 100 + 13 * $0 }, vocab: c.vocabSize)
        let tokens = batch.map(\.count).reduce(0, +)
        var t0 = Date()
        let f = try decoder.lastTokenFeatures(batch)
        let featureSeconds = Date().timeIntervalSince(t0)
        #expect(f.count == batch.count)
        print(
            String(
                format: "features: %d tokens in %.2f s = %.0f tok/s", tokens, featureSeconds,
                Double(tokens) / featureSeconds))
        for b in [1, 8, 32] {
            let prompts = InferenceFixtures.sequences(
                lengths: [Int](repeating: 40, count: b), vocab: c.vocabSize, seed: 9)
            t0 = Date()
            let g = try decoder.generate(prompts: prompts, maxNewTokens: 32, eosTokenIds: [])
            let s = Date().timeIntervalSince(t0)
            let n = g.map(\.count).reduce(0, +)
            print(
                String(
                    format: "generate batch %d: %d tokens in %.2f s = %.1f tok/s (incl. prefill)", b, n, s,
                    Double(n) / s))
        }
    }
}

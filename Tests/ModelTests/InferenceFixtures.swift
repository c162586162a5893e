import Foundation
@testable import Model
import TestSupport

/// Seeded generator for inference tests.
typealias InferenceRNG = SplitMix64

/// Tiny random models and helpers shared by the inference tests.
enum InferenceFixtures {
    static let llamaConfig = ModelConfig(
        architecture: .llama, vocabSize: 97, hiddenSize: 48, intermediateSize: 80,
        layerCount: 3, headCount: 6, kvHeadCount: 2, contextLength: 128,
        ropeTheta: 10000, normEpsilon: 1e-5, tiedEmbeddings: false)
    static let gpt2Config = ModelConfig(
        architecture: .gpt2, vocabSize: 89, hiddenSize: 32, intermediateSize: 128,
        layerCount: 2, headCount: 4, kvHeadCount: 4, contextLength: 96,
        normEpsilon: 1e-5, tiedEmbeddings: true)

    /// Random weights scaled up (std 0.02 * `gain`) so logits are far from ties, with non-trivial norms and biases.
    static func model(_ config: ModelConfig, seed: UInt64 = 7, gain: Float = 20) -> ModelWeights {
        var rng = InferenceRNG(seed: seed)
        var w = ModelWeights.random(config: config, using: &rng)
        func scale(_ t: inout Tensor, _ g: Float) { for i in t.data.indices { t.data[i] *= g } }
        func jitter(_ t: inout Tensor, around base: Float) {
            for i in t.data.indices { t.data[i] = base + Float.random(in: -0.3...0.3, using: &rng) }
        }
        scale(&w.tokenEmbedding, gain)
        if w.positionEmbedding != nil { scale(&w.positionEmbedding!, gain) }
        if w.lmHead != nil { scale(&w.lmHead!, gain) }
        for l in w.layers.indices {
            for p in Array(w.layers[l].projections.keys) {
                scale(&w.layers[l].projections[p]!.weight, gain / 2)
                if w.layers[l].projections[p]!.bias != nil { jitter(&w.layers[l].projections[p]!.bias!, around: 0) }
            }
            jitter(&w.layers[l].attentionNorm.weight, around: 1)
            jitter(&w.layers[l].mlpNorm.weight, around: 1)
            if w.layers[l].attentionNorm.bias != nil { jitter(&w.layers[l].attentionNorm.bias!, around: 0) }
            if w.layers[l].mlpNorm.bias != nil { jitter(&w.layers[l].mlpNorm.bias!, around: 0) }
        }
        jitter(&w.finalNorm.weight, around: 1)
        return w
    }

    static func sequences(lengths: [Int], vocab: Int, seed: UInt64 = 3) -> [[Int]] {
        var rng = InferenceRNG(seed: seed)
        return lengths.map { n in (0..<n).map { _ in Int.random(in: 0..<vocab, using: &rng) } }
    }

    static func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
        var m: Float = 0
        for i in a.indices { m = max(m, abs(a[i] - b[i])) }
        return m
    }

    static func maxAbs(_ a: [Float]) -> Float { a.reduce(0) { max($0, abs($1)) } }
}

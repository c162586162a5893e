import Foundation
@testable import Model
import TestSupport

/// Seeded generator of the training tests.
typealias TrainingTestRNG = SplitMix64

extension SplitMix64 {
    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in Float.random(in: -scale...scale, using: &self) }
    }
}

enum TinyModels {
    static let llama = ModelConfig(
        architecture: .llama, vocabSize: 64, hiddenSize: 32, intermediateSize: 48,
        layerCount: 2, headCount: 4, kvHeadCount: 2, contextLength: 64,
        ropeTheta: 10000, normEpsilon: 1e-5, tiedEmbeddings: false, eosTokenId: 2)
    static let gpt2 = ModelConfig(
        architecture: .gpt2, vocabSize: 64, hiddenSize: 32, intermediateSize: 128,
        layerCount: 2, headCount: 4, kvHeadCount: 4, contextLength: 64,
        normEpsilon: 1e-5, tiedEmbeddings: true, eosTokenId: 2)

    /// Random weights with stronger projections than the default std 0.02 (so gradients through
    /// attention and the MLP are not negligible) and non-unit norms.
    static func weights(_ c: ModelConfig, seed: UInt64) -> ModelWeights {
        var rng = TrainingTestRNG(seed: seed)
        var w = ModelWeights.random(config: c, using: &rng)
        func scaled(_ t: Tensor, _ s: Float) -> Tensor { Tensor(shape: t.shape, data: t.data.map { $0 * s }) }
        for l in w.layers.indices {
            for (p, lin) in w.layers[l].projections {
                w.layers[l].projections[p] = Linear(
                    weight: scaled(lin.weight, 8),
                    bias: lin.bias.map { Tensor(shape: $0.shape, data: rng.floats($0.count, scale: 0.1)) })
            }
            w.layers[l].attentionNorm.weight = Tensor(
                shape: [c.hiddenSize], data: rng.floats(c.hiddenSize).map { 1 + 0.3 * $0 })
            w.layers[l].mlpNorm.weight = Tensor(
                shape: [c.hiddenSize], data: rng.floats(c.hiddenSize).map { 1 + 0.3 * $0 })
        }
        w.tokenEmbedding = scaled(w.tokenEmbedding, 20)
        if let h = w.lmHead { w.lmHead = scaled(h, 20) }
        return w
    }

    /// An adapter with A and B both random (B non-zero so every gradient is informative).
    static func adapter(_ c: ModelConfig, lora: LoRAConfig, seed: UInt64) -> LoRAAdapter {
        var rng = TrainingTestRNG(seed: seed)
        var a = LoRAAdapter(config: lora, model: c)
        a.parameters = rng.floats(a.parameters.count, scale: 0.2)
        return a
    }
}

import Foundation
import Testing
@testable import Model

/// One training step of tiny random LLaMA and GPT-2 models against PyTorch + PEFT
/// (Golden/training/make_goldens.py step): loss, every LoRA gradient, the adapter after one Adam
/// step. A padded batch of two examples with masked prompts; A and B both non-zero.
@Suite struct TrainingGoldenTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden/training")

    static func config(_ arch: Architecture) -> ModelConfig {
        switch arch {
        case .llama:
            return ModelConfig(
                architecture: .llama, vocabSize: 64, hiddenSize: 32, intermediateSize: 48, layerCount: 2,
                headCount: 4, kvHeadCount: 2, contextLength: 64, ropeTheta: 10000, normEpsilon: 1e-5,
                tiedEmbeddings: false, bosTokenId: 1, eosTokenId: 2)
        case .gpt2:
            return ModelConfig(
                architecture: .gpt2, vocabSize: 64, hiddenSize: 32, intermediateSize: 128, layerCount: 2,
                headCount: 4, kvHeadCount: 4, contextLength: 64, normEpsilon: 1e-5,
                tiedEmbeddings: true, bosTokenId: 1, eosTokenId: 2)
        }
    }

    static func baseWeights(_ arch: Architecture) throws -> ModelWeights {
        let path = dir.appendingPathComponent("tiny-\(arch)-base.safetensors").path
        return try ModelWeights(huggingFace: SafetensorsFile.read(path: path), config: config(arch), source: path)
    }

    struct Meta: Decodable {
        var tokens: [[Int]]
        var masks: [[Int]]
        var rank: Int
        var alpha: Float
        var lr: Float
        var loss: Float
    }

    /// Fills an adapter's views from tensors named `prefix + PEFT name`.
    static func adapter(
        from tensors: [String: Tensor], prefix: String, like template: LoRAAdapter,
        arch: Architecture
    ) throws -> LoRAAdapter {
        var a = template
        for v in a.views {
            for (factor, offset) in [("lora_A", v.aOffset), ("lora_B", v.bOffset)] {
                let name =
                    prefix
                    + LoRAAdapter.peftName(layer: v.layer, projection: v.projection, architecture: arch, factor: factor)
                let t = try #require(tensors[name], "golden lacks \(name)")
                a.parameters.replaceSubrange(offset..<(offset + t.count), with: t.data)
            }
        }
        return a
    }

    static func maxAbs(_ x: [Float]) -> Float { x.map(abs).max() ?? 0 }
    static func maxDiff(_ x: [Float], _ y: [Float]) -> Float { zip(x, y).map { abs($0 - $1) }.max() ?? 0 }

    @Test(arguments: [Architecture.llama, .gpt2])
    func oneAdamStepMatchesPyTorchPEFT(arch: Architecture) throws {
        let meta = try JSONDecoder().decode(
            Meta.self, from: Data(contentsOf: Self.dir.appendingPathComponent("tiny-\(arch)-step.json")))
        let tensors = try SafetensorsFile.read(
            path: Self.dir.appendingPathComponent("tiny-\(arch)-step.safetensors").path)
        let weights = try Self.baseWeights(arch)
        let lora = LoRAConfig(rank: meta.rank, alpha: meta.alpha, dropout: 0, targets: Projection.all(for: arch))
        let template = LoRAAdapter(config: lora, model: weights.config)
        var adapter = try Self.adapter(from: tensors, prefix: "", like: template, arch: arch)
        let expectedGrad = try Self.adapter(from: tensors, prefix: "grad.", like: template, arch: arch).parameters
        let expectedUpdated = try Self.adapter(from: tensors, prefix: "updated.", like: template, arch: arch).parameters
        let examples = zip(meta.tokens, meta.masks).map { TrainingExample(tokens: $0, lossMask: $1.map { $0 != 0 }) }

        let trainer = LoRATrainer(weights: weights, lora: lora, optimizer: .adam(learningRate: meta.lr))
        var rng = TrainingTestRNG(seed: 1)
        var (loss, grad) = try trainer.lossAndGradient(
            examples: examples, adapter: adapter, training: false, using: &rng)
        // Tolerances (float32 on both sides): loss 1e-5 absolute; gradients 1e-4 of the largest.
        #expect(abs(loss - meta.loss) < 1e-5, "\(arch) loss \(loss) vs PyTorch \(meta.loss)")
        let gradErr = Self.maxDiff(grad, expectedGrad) / Self.maxAbs(expectedGrad)
        #expect(gradErr < 1e-4, "\(arch) gradient relative error \(gradErr)")
        for v in adapter.views {  // every view, A and B separately
            for (o, c) in [(v.aOffset, lora.rank * v.inFeatures), (v.bOffset, v.outFeatures * lora.rank)] {
                let e = Self.maxDiff(Array(grad[o..<(o + c)]), Array(expectedGrad[o..<(o + c)]))
                #expect(e <= 1e-4 * Self.maxAbs(expectedGrad), "\(arch) layer \(v.layer) \(v.projection) error \(e)")
            }
        }
        var state = OptimizerState(config: trainer.optimizer, parameterCount: adapter.parameters.count)
        state.apply(gradient: &grad, to: &adapter.parameters)
        // Adam's first step moves each parameter by ~lr; tolerance 1e-3 of lr.
        let updErr = Self.maxDiff(adapter.parameters, expectedUpdated)
        #expect(updErr < 1e-3 * meta.lr, "\(arch) updated adapter max error \(updErr) (lr \(meta.lr))")
        print(
            "TrainingGolden \(arch): loss \(loss) vs \(meta.loss); gradient rel err \(gradErr); updated max err \(updErr)"
        )
    }
}

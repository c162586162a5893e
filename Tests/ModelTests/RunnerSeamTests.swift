import Testing
@testable import Model

/// The tape runner's seams for other trainable parameters (docs/adding-a-model.md): input
/// embeddings with their gradient (a soft prompt) and the gradient of a full weight.
struct RunnerSeamTests {
    /// Runs `TransformerPass.lossAndGradient` over `examples` with the adapter's gradient and the
    /// seams `configure` sets; returns the summed loss and the adapter gradient.
    func pass(
        _ weights: ModelWeights, _ adapter: LoRAAdapter, _ examples: [TrainingExample],
        configure: (inout TransformerPass) -> Void
    ) throws -> (Double, [Float]) {
        let batch = try TrainingBatch(examples: examples, vocabSize: weights.config.vocabSize)
        var views = [[Projection: LoRAView]](repeating: [:], count: weights.config.layerCount)
        for v in adapter.views { views[v.layer][v.projection] = v }
        var gradient = [Float](repeating: 0, count: adapter.parameters.count)
        let loss = WeightPointers.with(weights) { wp in
            adapter.parameters.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in
                    var pass = TransformerPass(
                        config: weights.config, weights: wp, lora: adapter.config, views: views,
                        parameters: p.baseAddress!, gradient: g.baseAddress!, dropout: 0,
                        seeds: [], batch: batch)
                    configure(&pass)
                    return pass.lossAndGradient()
                }
            }
        }
        return (loss, gradient)
    }

    /// A tiny two-block model of `architecture` and an adapter on every projection (no dropout).
    func model(_ architecture: Architecture, seed: UInt64) -> (ModelConfig, ModelWeights, LoRAConfig, LoRAAdapter) {
        var config = architecture == .llama ? TinyModels.llama : TinyModels.gpt2
        config.layerCount = 2
        let lora = LoRAConfig(rank: 2, alpha: 4, dropout: 0, targets: Projection.all(for: architecture))
        return (
            config, TinyModels.weights(config, seed: seed), lora,
            TinyModels.adapter(config, lora: lora, seed: seed + 1)
        )
    }

    static let examples = [
        TrainingExample(tokens: [5, 9, 17, 33, 2, 40], lossMask: [false, false, true, true, true, true])
    ]

    /// Given input embeddings equal to the tokens' own, the pass is unchanged, and `inputGradient` is
    /// d(mean loss)/d(first block's input): Double central differences of `DoubleReferenceModel`
    /// with that input shifted.
    @Test(arguments: [Architecture.llama, .gpt2])
    func inputGradientIsTheGradientOfTheFirstBlocksInput(architecture: Architecture) throws {
        let (config, weights, _, adapter) = model(architecture, seed: 21)
        let tokens = Self.examples[0].tokens, d = config.hiddenSize, n = tokens.count
        let (plainLoss, plainGradient) = try pass(weights, adapter, Self.examples) { _ in }
        var embedded = [Float](repeating: 0, count: n * d), inputGradient = embedded
        WeightPointers.with(weights) { wp in
            embedded.withUnsafeMutableBufferPointer {
                TransformerBlock.embed(
                    tokens, positions: Array(0..<n), config: config, weights: wp,
                    into: $0.baseAddress!)
            }
        }
        let (loss, gradient) = try embedded.withUnsafeBufferPointer { e in
            try inputGradient.withUnsafeMutableBufferPointer { g in
                try pass(weights, adapter, Self.examples) { pass in
                    pass.inputEmbeddings = e.baseAddress!
                    pass.inputGradient = g.baseAddress!
                }
            }
        }
        #expect(loss == plainLoss)
        #expect(gradient == plainGradient)
        let reference = DoubleReferenceModel(weights: weights, adapter: adapter)
        let p = adapter.parameters.doubles
        let error = doubleFiniteDifferenceError(
            at: [Double](repeating: 0, count: n * d), analytic: inputGradient,
            indices: Array(stride(from: 0, to: n * d, by: 7))
        ) {
            reference.meanLoss(p, examples: Self.examples, inputShifts: [$0])
        }
        #expect(error < 1e-3, "\(architecture): input gradient relative error \(error)")
        #expect(inputGradient.contains { $0 != 0 })
    }

    /// A full weight's gradient dW = dy^T x and its LoRA B gradient scale * dy^T (x A^T) are one product
    /// apart (no dropout): dB = scale * dW A^T, for every projection of every block.
    @Test(arguments: [Architecture.llama, .gpt2])
    func fullWeightGradientAgreesWithTheLoRAGradient(architecture: Architecture) throws {
        let (config, weights, lora, adapter) = model(architecture, seed: 31)
        let shapes = LoRAAdapter.projectionShapes(config)
        let buffers = (0..<config.layerCount).map { _ in
            Dictionary(
                uniqueKeysWithValues: lora.targets.map { p in
                    (p, TrainingBuffer(shapes[p]!.0 * shapes[p]!.1))
                })
        }
        let (_, gradient) = try pass(weights, adapter, Self.examples) { pass in
            pass.weightGradients = buffers.map { $0.mapValues(\.p) }
        }
        let r = lora.rank
        for v in adapter.views {
            let dW = buffers[v.layer][v.projection]!, (outF, inF) = (v.outFeatures, v.inFeatures)
            var expected = [Double](repeating: 0, count: outF * r)
            for o in 0..<outF {
                for j in 0..<r {
                    var s = 0.0
                    for i in 0..<inF {
                        s += Double(dW.p[o * inF + i]) * Double(adapter.parameters[v.aOffset + j * inF + i])
                    }
                    expected[o * r + j] = Double(lora.scale) * s
                }
            }
            let dB = Array(gradient[v.bOffset..<(v.bOffset + outF * r)])
            #expect(relativeDifference(dB, expected) < 1e-4, "\(v.projection) layer \(v.layer)")
            #expect(dW.array.contains { $0 != 0 })
        }
    }
}

import Foundation
import Testing
@testable import Model

/// PEFT files: our adapter loaded by Python's PEFT gives the same logits as our engine
/// (Golden/training/peft-ours-*: written by this test with FEDHDS_WRITE_GOLDENS=1, then
/// `make_goldens.py peft-logits`); round trips; wrong-shape adapters; merge and un-merge.
@Suite struct LoRAPEFTTests {
    static let dir = TrainingGoldenTests.dir
    static let tokens = [1, 5, 9, 17, 33, 12, 40, 41, 7, 2]

    /// "Our" adapter: the golden's initial adapter after one of our Adam steps.
    static func ourAdapter(_ arch: Architecture) throws -> (ModelWeights, LoRAAdapter) {
        let weights = try TrainingGoldenTests.baseWeights(arch)
        let tensors = try SafetensorsFile.read(path: dir.appendingPathComponent("tiny-\(arch)-step.safetensors").path)
        let lora = LoRAConfig(rank: 4, alpha: 8, dropout: 0.05, targets: Projection.all(for: arch))
        var adapter = try TrainingGoldenTests.adapter(
            from: tensors, prefix: "", like: LoRAAdapter(config: lora, model: weights.config), arch: arch)
        let trainer = LoRATrainer(weights: weights, lora: lora, optimizer: .adam(learningRate: 0.05))
        var rng = TrainingTestRNG(seed: 3)
        _ = try trainer.trainEpoch(
            examples: [TrainingExample(tokens: tokens, lossMask: tokens.indices.map { $0 >= 5 })],
            adapter: &adapter, using: &rng)
        return (weights, adapter)
    }

    @Test(arguments: [Architecture.llama, .gpt2])
    func peftLoadsOurAdapterWithTheSameLogits(arch: Architecture) throws {
        let (weights, adapter) = try Self.ourAdapter(arch)
        let committed = Self.dir.appendingPathComponent("peft-ours-\(arch)").path
        if ProcessInfo.processInfo.environment["FEDHDS_WRITE_GOLDENS"] != nil {
            try adapter.savePEFT(directory: committed, model: weights.config, baseModel: "tiny-\(arch)-base")
        }
        // What we write now equals the committed adapter PEFT was run on.
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("peft-\(arch)-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try adapter.savePEFT(directory: tmp, model: weights.config, baseModel: "tiny-\(arch)-base")
        let reloaded = try LoRAAdapter.loadPEFT(directory: tmp, model: weights.config)
        #expect(reloaded == adapter)
        // The committed adapter came from the same Adam step on another CPU: equal up to the float
        // summation order of that CPU's kernels (OpenBLAS and ours pick their paths at run time).
        let fromCommitted = try LoRAAdapter.loadPEFT(directory: committed, model: weights.config)
        let stepDiff = TrainingGoldenTests.maxDiff(fromCommitted.parameters, adapter.parameters)
        #expect(stepDiff < 1e-5, "\(arch) adapter differs from the committed one by \(stepDiff)")
        let config =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp + "/adapter_config.json")))
            as! [String: Any]
        #expect(config["peft_type"] as? String == "LORA" && config["r"] as? Int == 4)
        #expect(config["fan_in_fan_out"] as? Bool == (arch == .gpt2))

        let expected = try #require(
            SafetensorsFile.read(path: Self.dir.appendingPathComponent("peft-ours-\(arch)-logits.safetensors").path)[
                "logits"])
        let trainer = LoRATrainer(weights: weights, lora: adapter.config, optimizer: .sgd(learningRate: 0))
        let ours = try trainer.logits(tokens: Self.tokens, adapter: fromCommitted)
        #expect(expected.shape == [Self.tokens.count, weights.config.vocabSize])
        let err = TrainingGoldenTests.maxDiff(ours, expected.data)
        #expect(err < 1e-4, "\(arch) logits max error vs PEFT \(err)")
        // And the adapter matters: the base model's logits differ.
        let base = try trainer.logits(tokens: Self.tokens, adapter: nil)
        #expect(TrainingGoldenTests.maxDiff(base, expected.data) > 100 * max(err, 1e-6))
        print("LoRAPEFT \(arch): logits max error vs PEFT \(err)")
    }

    @Test func adapterForAnotherModelShapeIsRefused() throws {
        let (weights, adapter) = try Self.ourAdapter(.llama)
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("peft-mismatch-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try adapter.savePEFT(directory: tmp, model: weights.config)
        var wider = weights.config
        wider.hiddenSize = 64
        #expect(throws: ModelError.self) { try LoRAAdapter.loadPEFT(directory: tmp, model: wider) }
        do {
            _ = try LoRAAdapter.loadPEFT(directory: tmp, model: wider)
        } catch let ModelError.adapterMismatch(message) {
            #expect(message.contains("shape"))
        }
        var deeper = weights.config
        deeper.layerCount = 3
        #expect { try LoRAAdapter.loadPEFT(directory: tmp, model: deeper) } throws: { e in
            if case ModelError.adapterMismatch(let m) = e { return m.contains("missing") } else { return false }
        }
        var shallower = weights.config
        shallower.layerCount = 1
        #expect { try LoRAAdapter.loadPEFT(directory: tmp, model: shallower) } throws: { e in
            if case ModelError.adapterMismatch = e { return true } else { return false }
        }
        // A GPT-2 model cannot take LLaMA projection names.
        #expect { try LoRAAdapter.loadPEFT(directory: tmp, model: TrainingGoldenTests.config(.gpt2)) } throws: { e in
            if case ModelError.adapterMismatch = e { return true } else { return false }
        }
        // Training with an adapter laid out for another model is refused too.
        let gpt2 = try TrainingGoldenTests.baseWeights(.gpt2)
        let trainer = LoRATrainer(weights: gpt2, lora: adapter.config, optimizer: .sgd(learningRate: 0))
        #expect(throws: ModelError.self) {
            try trainer.loss(examples: [TrainingExample(tokens: [1, 2], lossMask: [false, true])], adapter: adapter)
        }
        #expect(throws: ModelError.self) { try gpt2.merging(adapter) }
    }

    @Test(arguments: [Architecture.llama, .gpt2])
    func mergedWeightsGiveTheAdaptedLogitsAndUnmergeRestores(arch: Architecture) throws {
        let (weights, adapter) = try Self.ourAdapter(arch)
        let merged = try weights.merging(adapter)
        let adapted = try LoRATrainer(weights: weights, lora: adapter.config, optimizer: .sgd(learningRate: 0))
            .logits(tokens: Self.tokens, adapter: adapter)
        let viaMerge = try LoRATrainer(weights: merged, lora: adapter.config, optimizer: .sgd(learningRate: 0))
            .logits(tokens: Self.tokens, adapter: nil)
        #expect(TrainingGoldenTests.maxDiff(adapted, viaMerge) < 1e-4)
        let restored = try merged.unmerging(adapter)
        for (l, layer) in restored.layers.enumerated() {
            for (p, lin) in layer.projections {
                #expect(
                    TrainingGoldenTests.maxDiff(lin.weight.data, weights.layers[l].projections[p]!.weight.data) < 1e-6)
            }
        }
        #expect(
            merged.layers[0].projections[Projection.all(for: arch)[0]]
                != weights.layers[0].projections[Projection.all(for: arch)[0]])
    }
}

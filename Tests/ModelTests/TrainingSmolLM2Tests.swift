import Foundation
import Testing
@testable import Model

/// Training on the real default model, SmolLM2-135M-Instruct (Q4_1 GGUF, dequantised): one step
/// on one real Dolly sample against PyTorch + PEFT (Golden/training/smollm2-dolly-step.json, made
/// by `make_goldens.py smollm2`), and an overfitting check on 8 real Dolly samples.
/// The GGUF path is env FEDHDS_MODEL or ~/.cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf
/// (`bash scripts/fetch-model.sh`); without it these tests fail with that message.
@Suite(.serialized) struct TrainingSmolLM2Tests {
    static var modelPath: String {
        ProcessInfo.processInfo.environment["FEDHDS_MODEL"]
            ?? FileManager.default.homeDirectoryForCurrentUser.path
            + "/.cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    static func weights() throws -> ModelWeights {
        let path = modelPath
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelError.invalidFile(
                path: path, reason: "SmolLM2 GGUF not found: run `bash scripts/fetch-model.sh` or set FEDHDS_MODEL")
        }
        return try ModelWeights(gguf: GGUFFile(path: path))
    }

    struct ViewNorm: Decodable { var layer: Int; var projection: String; var gradA: Double; var gradB: Double }
    struct StepGolden: Decodable {
        var tokens: [Int]; var mask: [Int]; var loss: Float; var gradNorm: Double; var views: [ViewNorm]
    }
    struct Sample: Decodable { var tokens: [Int]; var mask: [Int] }

    /// The golden step's inputs: PyTorch's figures, the weights, the LoRA setting and the
    /// script's deterministic non-zero adapter (view v, layer-major in projection order).
    static func goldenStep() throws -> (
        golden: StepGolden, weights: ModelWeights, lora: LoRAConfig, adapter: LoRAAdapter
    ) {
        let golden = try JSONDecoder().decode(
            StepGolden.self,
            from: Data(contentsOf: TrainingGoldenTests.dir.appendingPathComponent("smollm2-dolly-step.json")))
        let weights = try Self.weights()
        let lora = LoRAConfig(rank: 8, alpha: 16, dropout: 0, targets: Projection.all(for: .llama))
        var adapter = LoRAAdapter(config: lora, model: weights.config)
        for (v, view) in adapter.views.enumerated() {
            for i in 0..<(8 * view.inFeatures) {
                adapter.parameters[view.aOffset + i] = Float(0.02 * sin(0.37 * Double(i) + 1.3 * Double(v)))
            }
            for i in 0..<(view.outFeatures * 8) {
                adapter.parameters[view.bOffset + i] = Float(0.01 * cos(0.23 * Double(i) + 0.7 * Double(v)))
            }
        }
        return (golden, weights, lora, adapter)
    }

    @Test func oneStepOnADollySampleMatchesPyTorch() throws {
        let (golden, weights, lora, adapter) = try Self.goldenStep()
        let trainer = LoRATrainer(weights: weights, lora: lora, optimizer: .adam(learningRate: 3e-5))
        var rng = TrainingTestRNG(seed: 1)
        let example = TrainingExample(tokens: golden.tokens, lossMask: golden.mask.map { $0 != 0 })
        let (loss, grad) = try trainer.lossAndGradient(
            examples: [example], adapter: adapter, training: false, using: &rng)
        // Tolerances: loss 1e-3 relative; each view's gradient norms 1e-2 relative; the total 2e-3.
        #expect(abs(loss - golden.loss) < 1e-3 * golden.loss, "loss \(loss) vs PyTorch \(golden.loss)")
        func norm(_ s: ArraySlice<Float>) -> Double { s.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
        var worst = 0.0
        for (view, ref) in zip(adapter.views, golden.views) {
            #expect(view.layer == ref.layer && view.projection.rawValue == ref.projection)
            let na = norm(grad[view.aOffset..<(view.aOffset + 8 * view.inFeatures)])
            let nb = norm(grad[view.bOffset..<(view.bOffset + view.outFeatures * 8)])
            let ea = abs(na - ref.gradA) / ref.gradA, eb = abs(nb - ref.gradB) / ref.gradB
            worst = max(worst, ea, eb)
            #expect(
                ea < 1e-2 && eb < 1e-2,
                "layer \(view.layer) \(view.projection): |dA| \(na) vs \(ref.gradA), |dB| \(nb) vs \(ref.gradB)")
        }
        let total = norm(grad[...])
        #expect(abs(total - golden.gradNorm) / golden.gradNorm < 2e-3, "gradient norm \(total) vs \(golden.gradNorm)")
        print(
            "TrainingSmolLM2: loss \(loss) vs \(golden.loss); grad norm \(total) vs \(golden.gradNorm); worst view norm rel err \(worst)"
        )
    }

    /// The overfitting check's run: 30 steps of batch size 1 cycling through the 8 samples
    /// (dropout 0.05 on), one Adam state; the loss over all 8 before and after.
    static func overfit(precision: Precision, bf16Kernel: BF16Kernel? = nil) throws -> (
        trainer: LoRATrainer, adapter: LoRAAdapter, examples: [TrainingExample],
        before: Float, after: Float, steps: [StepReport]
    ) {
        let samples = try JSONDecoder().decode(
            [Sample].self,
            from: Data(contentsOf: TrainingGoldenTests.dir.appendingPathComponent("dolly-overfit-8.json")))
        #expect(samples.count == 8)
        let trainer = LoRATrainer(
            weights: try weights(), lora: .paper(for: .llama), optimizer: .adam(learningRate: 2e-3),
            precision: precision, bf16Kernel: bf16Kernel)
        #expect(trainer.effectivePrecision == precision)
        var rng = TrainingTestRNG(seed: 42)
        var adapter = trainer.makeAdapter(using: &rng)
        let examples = samples.map { TrainingExample(tokens: $0.tokens, lossMask: $0.mask.map { $0 != 0 }) }
        let before = try trainer.loss(examples: examples, adapter: adapter)
        var state = OptimizerState(config: trainer.optimizer, parameterCount: adapter.parameters.count)
        var steps: [StepReport] = []
        for s in 0..<30 {
            steps.append(
                try trainer.step(examples: [examples[s % 8]], adapter: &adapter, state: &state, index: s, using: &rng))
        }
        let after = try trainer.loss(examples: examples, adapter: adapter)
        #expect(steps.count == 30 && steps.allSatisfy { !$0.skipped })
        return (trainer, adapter, examples, before, after, steps)
    }

    @Test func eightDollySamplesOverfitInThirtySteps() throws {
        let (_, _, _, before, after, steps) = try Self.overfit(precision: .float32)
        #expect(after <= 0.5 * before, "loss \(before) -> \(after)")
        print(
            "TrainingSmolLM2 overfit: loss \(before) -> \(after); step losses \(steps.map(\.loss).map { ($0 * 1000).rounded() / 1000 })"
        )
    }
}

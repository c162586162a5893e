import Foundation
import Testing
@testable import Model

/// Mixed-precision (bfloat16 on each fast path this CPU has: AMX, AVX512-BF16) training of the real default model, SmolLM2-135M-Instruct:
/// one step on one real Dolly sample against our float32 step and PyTorch's float32 golden
/// (Golden/training/smollm2-dolly-step.json), and the overfitting check on 8 real Dolly samples.
/// Needs the GGUF (see `TrainingSmolLM2Tests`) and a CPU with AMX-BF16 or AVX512-BF16.
@Suite(
    .serialized,
    .enabled(if: !BF16Kernel.tested.isEmpty, "this CPU has neither AMX-BF16 nor AVX512-BF16: bfloat16 runs as float32"))
struct TrainingBF16SmolLM2Tests {
    static func norm(_ s: ArraySlice<Float>) -> Double { s.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }

    @Test(arguments: BF16Kernel.tested)
    func oneStepOnADollySampleMatchesFloat32(kernel: BF16Kernel) throws {
        let (golden, weights, lora, adapter) = try TrainingSmolLM2Tests.goldenStep()
        let example = TrainingExample(tokens: golden.tokens, lossMask: golden.mask.map { $0 != 0 })
        var rng = TrainingTestRNG(seed: 1)
        let fp32 = LoRATrainer(weights: weights, lora: lora, optimizer: .adam(learningRate: 3e-5))
        let (loss32, grad32) = try fp32.lossAndGradient(
            examples: [example], adapter: adapter, training: false, using: &rng)
        let bf16 = LoRATrainer(
            weights: weights, lora: lora, optimizer: .adam(learningRate: 3e-5), precision: .bfloat16,
            bf16Kernel: kernel)
        #expect(bf16.effectivePrecision == .bfloat16 && bf16.kernelPath == kernel.name)
        let (loss16, grad16) = try bf16.lossAndGradient(
            examples: [example], adapter: adapter, training: false, using: &rng)
        // Tolerances: loss 1e-2 relative (to fp32 and to PyTorch fp32); each view's A and B
        // gradient cosine > 0.99 against fp32 and norm within 8% of PyTorch's (measured: worst 4.4%,
        // on views with small gradients); the total norm 2%.
        #expect(abs(loss16 - loss32) < 1e-2 * loss32, "bf16 loss \(loss16) vs fp32 \(loss32)")
        #expect(abs(loss16 - golden.loss) < 1e-2 * golden.loss, "bf16 loss \(loss16) vs PyTorch fp32 \(golden.loss)")
        var worstCos = 1.0, worstNorm = 0.0
        for (view, ref) in zip(adapter.views, golden.views) {
            for (name, o, c, refNorm) in [
                ("A", view.aOffset, 8 * view.inFeatures, ref.gradA),
                ("B", view.bOffset, view.outFeatures * 8, ref.gradB)
            ] {
                let cos = TrainingBF16Tests.cosine(grad16[o..<(o + c)], grad32[o..<(o + c)])
                let n16 = Self.norm(grad16[o..<(o + c)])
                let e = abs(n16 - refNorm) / refNorm
                worstCos = min(worstCos, cos)
                worstNorm = max(worstNorm, e)
                #expect(
                    cos > 0.99 && e < 0.08,
                    "layer \(view.layer) \(view.projection) grad \(name): cosine to fp32 \(cos), norm \(n16) vs PyTorch \(refNorm)"
                )
            }
        }
        let total16 = Self.norm(grad16[...]), total32 = Self.norm(grad32[...])
        #expect(
            abs(total16 - golden.gradNorm) / golden.gradNorm < 2e-2,
            "bf16 gradient norm \(total16) vs PyTorch \(golden.gradNorm)")
        print(
            "TrainingBF16 SmolLM2 (\(kernel.name)): loss bf16 \(loss16), fp32 \(loss32), PyTorch \(golden.loss); grad norm bf16 \(total16), fp32 \(total32), PyTorch \(golden.gradNorm); whole-gradient cosine \(TrainingBF16Tests.cosine(grad16[...], grad32[...])); worst view cosine \(worstCos), worst view norm rel err vs PyTorch \(worstNorm)"
        )
    }

    @Test(arguments: BF16Kernel.tested)
    func eightDollySamplesOverfitInThirtyStepsInBF16(kernel: BF16Kernel) throws {
        let (trainer, adapter, examples, before, after, steps) = try TrainingSmolLM2Tests.overfit(
            precision: .bfloat16, bf16Kernel: kernel)
        // The float32 trainer agrees on the trained adapter's loss (bf16 evaluation is not fooling itself).
        let after32 = try LoRATrainer(weights: trainer.weights, lora: .paper(for: .llama), optimizer: trainer.optimizer)
            .loss(examples: examples, adapter: adapter)
        #expect(after <= 0.5 * before, "bf16 loss \(before) -> \(after)")
        #expect(
            abs(after32 - after) < 2e-2 * after32 + 1e-3,
            "bf16 evaluation \(after) vs fp32 \(after32) of the trained adapter")
        print(
            "TrainingBF16 SmolLM2 overfit (\(kernel.name)): loss \(before) -> \(after) (fp32 evaluation \(after32)); step losses \(steps.map(\.loss).map { ($0 * 1000).rounded() / 1000 })"
        )
    }
}

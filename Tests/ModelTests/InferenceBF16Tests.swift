import Foundation
import Testing
@testable import Model

/// The bfloat16 path of `Decoder` on tiny random LLaMA (GQA) and GPT-2 models (biases, fused
/// QKV): which precision runs, closeness to float32, unmerged LoRA, and per-row results that do
/// not depend on the batch. The bfloat16 tests run on each fast path this CPU has (AMX-BF16,
/// AVX512-BF16).
@Suite struct InferenceBF16Tests {
    static let configs = [InferenceFixtures.llamaConfig, InferenceFixtures.gpt2Config]

    /// Max |a - b| over max |b|.
    static func relative(_ a: [Float], _ b: [Float]) -> Float {
        InferenceFixtures.maxAbsDiff(a, b) / max(InferenceFixtures.maxAbs(b), 1e-30)
    }

    @Test func precisionThatRunsIsReported() {
        let w = InferenceFixtures.model(InferenceFixtures.llamaConfig)
        let fp32 = Decoder(weights: w)
        #expect(fp32.precision == .float32 && fp32.effectivePrecision == .float32 && fp32.bf16 == nil)
        let bf16 = Decoder(weights: w, precision: .bfloat16)
        #expect(bf16.precision == .bfloat16)
        #expect(bf16.effectivePrecision == Precision.bfloat16.effective)
        #expect((bf16.bf16 != nil) == (BF16Kernel.best != nil))
        #expect(bf16.kernelPath == (BF16Kernel.best?.name ?? "fp32") && fp32.kernelPath == "fp32")
        #expect(Precision.bfloat16.kernelPath == bf16.kernelPath && Precision.float32.kernelPath == "fp32")
        #expect(Precision.bfloat16.effective == (Precision.hasAMX || Precision.hasAVX512BF16 ? .bfloat16 : .float32))
        if let packed = bf16.bf16 {  // every projection and the output, k padded to 32 and n to 16
            let c = w.config
            var expected = ck_bf16_count(k: c.hiddenSize, n: c.vocabSize)
            for layer in w.layers {
                for lin in layer.projections.values { expected += ck_bf16_count(k: lin.inFeatures, n: lin.outFeatures) }
            }
            #expect(packed.count == expected)
        }
        // Weights that cannot run are refused as before, bfloat16 or not (and nothing is packed).
        var broken = w
        broken.layers[0].projections[.q] = nil
        let bad = Decoder(weights: broken, precision: .bfloat16)
        #expect(bad.bf16 == nil)
        #expect(throws: ModelError.self) { try bad.forward([[1]]) }
    }

    func ck_bf16_count(k: Int, n: Int) -> Int { (k + 31) / 32 * 32 * ((n + 15) / 16 * 16) }

    @Test(arguments: configs, BF16Kernel.tested)
    func bf16StaysCloseToFloat32WithAndWithoutLoRA(config: ModelConfig, kernel: BF16Kernel) throws {
        let w = InferenceFixtures.model(config, gain: 5)
        let fp32 = Decoder(weights: w), bf16 = Decoder(weights: w, precision: .bfloat16, bf16Kernel: kernel)
        #expect(bf16.kernelPath == kernel.name)
        var adapter = LoRAAdapter(
            config: LoRAConfig(rank: 4, alpha: 8, targets: Projection.all(for: config.architecture)),
            model: config)
        var rng = InferenceRNG(seed: 99)
        for i in adapter.parameters.indices { adapter.parameters[i] = Float.random(in: -0.2...0.2, using: &rng) }
        let batch = InferenceFixtures.sequences(lengths: [6, 10, 1], vocab: config.vocabSize)
        let all = ForwardOutputs(logits: .allTokens, hiddenStates: .allTokens)
        var worstLogits: Float = 0, worstHidden: Float = 0
        for a in [nil, adapter] {
            let r32 = try fp32.forward(batch, adapter: a, outputs: all),
                r16 = try bf16.forward(batch, adapter: a, outputs: all)
            for s in batch.indices {
                worstLogits = max(worstLogits, Self.relative(r16.logits[s], r32.logits[s]))
                worstHidden = max(worstHidden, Self.relative(r16.hiddenStates[s], r32.hiddenStates[s]))
                #expect(r16.logits[s] != r32.logits[s], "bfloat16 products really ran")
            }
        }
        // The adapter changes the bfloat16 outputs as it changes the float32 ones.
        let plain = try bf16.forward(batch, outputs: all),
            adapted = try bf16.forward(batch, adapter: adapter, outputs: all)
        let effect32 = Self.relative(
            try fp32.forward(batch, adapter: adapter, outputs: all).logits[1],
            try fp32.forward(batch, outputs: all).logits[1])
        let effect16 = Self.relative(adapted.logits[1], plain.logits[1])
        print(
            "tiny \(config.architecture.rawValue) \(kernel.name) vs fp32: max rel. diff logits \(worstLogits), hidden \(worstHidden); "
                + "LoRA effect fp32 \(effect32), bf16 \(effect16)")
        #expect(worstLogits < 3e-2)
        #expect(worstHidden < 3e-2)
        #expect(abs(effect16 - effect32) < 0.2 * effect32)
    }

    @Test(arguments: configs, BF16Kernel.tested)
    func bf16RowsDoNotDependOnTheBatch(config: ModelConfig, kernel: BF16Kernel) throws {
        let bf16 = Decoder(weights: InferenceFixtures.model(config), precision: .bfloat16, bf16Kernel: kernel)
        // 93 rows in one pass (split by rows: 16-row blocks, a partial one) against each sequence
        // alone (up to 64 rows: split by columns), one of them a single row.
        let batch = InferenceFixtures.sequences(lengths: [5, 40, 1, 30, 17], vocab: config.vocabSize)
        #expect(batch.map(\.count).reduce(0, +) > LinearKernel.bf16RowSplitAbove)
        let all = ForwardOutputs(logits: .allTokens, hiddenStates: .allTokens)
        let packed = try bf16.forward(batch, outputs: all)
        for (s, seq) in batch.enumerated() {
            let alone = try bf16.forward([seq], outputs: all)
            #expect(packed.logits[s] == alone.logits[0], "sequence \(s): logits")
            #expect(packed.hiddenStates[s] == alone.hiddenStates[0], "sequence \(s): hidden states")
        }
        let prompts = InferenceFixtures.sequences(lengths: [5, 7, 3, 12, 1], vocab: config.vocabSize, seed: 8)
        let batched = try bf16.generate(prompts: prompts, maxNewTokens: 12, eosTokenIds: [], maxBatch: 3)
        #expect(try prompts.map { try bf16.generate(prompts: [$0], maxNewTokens: 12, eosTokenIds: [])[0] } == batched)
    }

    @Test(arguments: BF16Kernel.tested)
    func bf16PerplexityIsCloseToFloat32(kernel: BF16Kernel) throws {
        let config = InferenceFixtures.llamaConfig
        let w = InferenceFixtures.model(config, gain: 5)
        let prompts = InferenceFixtures.sequences(lengths: [4, 1, 9], vocab: config.vocabSize, seed: 21)
        let responses = InferenceFixtures.sequences(lengths: [6, 3, 5], vocab: config.vocabSize, seed: 22)
        let l32 = try Decoder(weights: w).responseLoss(prompts: prompts, responses: responses)
        let l16 = try Decoder(weights: w, precision: .bfloat16, bf16Kernel: kernel).responseLoss(
            prompts: prompts, responses: responses)
        for (a, b) in zip(l16, l32) {
            #expect(a != b)
            #expect(abs(a - b) < 2e-2 * b, "bf16 loss \(a) vs fp32 \(b)")
        }
    }
}

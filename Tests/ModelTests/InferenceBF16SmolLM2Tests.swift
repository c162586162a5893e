import Foundation
import Testing
@testable import Model

/// SmolLM2-135M-Instruct with bfloat16 products (each fast path this CPU has: AMX, AVX512-BF16) against the float32 path on the golden
/// prompts of Golden/inference/smollm2.json (the float32 path is itself checked against
/// transformers and llama.cpp in `InferenceSmolLM2Tests`). Needs the model (env FEDHDS_MODEL or
/// the default cache path; without it these tests fail naming the file) and AMX-BF16 or AVX512-BF16.
@Suite(.serialized) struct InferenceBF16SmolLM2Tests {
    struct Pair: Sendable {
        var fp32: Decoder
        var bf16: Decoder
    }

    /// The suite's float32 decoder and a bfloat16 one on `kernel` over the same weights (the packed
    /// copies are shared, so each call is cheap after the first).
    static func pair(_ kernel: BF16Kernel) throws -> Pair {
        let fp32 = try InferenceSmolLM2Tests.decoder.get()
        return Pair(fp32: fp32, bf16: Decoder(weights: fp32.weights, precision: .bfloat16, bf16Kernel: kernel))
    }

    static var prompts: [[Int]] { InferenceSmolLM2Tests.golden.prompts.map(\.tokens) }

    @Test(arguments: BF16Kernel.tested)
    func hiddenStatesOfAllSlotsStayCloseToFloat32(kernel: BF16Kernel) throws {
        let p = try Self.pair(kernel)
        #expect(p.bf16.effectivePrecision == .bfloat16 && p.bf16.kernelPath == kernel.name)
        let c = p.fp32.config, d = c.hiddenSize, slots = c.hiddenStateSlots
        #expect(Self.prompts.count >= 5)
        let f32 = try p.fp32.lastTokenFeatures(Self.prompts), f16 = try p.bf16.lastTokenFeatures(Self.prompts)
        var worst: Double = 0, worstSlot = 0, sum: Double = 0, count = 0
        for s in Self.prompts.indices {
            for slot in 0..<slots {
                var diff = 0.0, norm = 0.0
                for j in (slot * d)..<((slot + 1) * d) {
                    diff += Double(f16[s][j] - f32[s][j]) * Double(f16[s][j] - f32[s][j])
                    norm += Double(f32[s][j]) * Double(f32[s][j])
                }
                let rel = (diff / norm).squareRoot()
                if slot == 0 { #expect(rel == 0, "the embedding slot involves no product") }
                if rel > worst { worst = rel; worstSlot = slot }
                sum += rel; count += 1
            }
        }
        print(
            "SmolLM2 \(kernel.name) vs fp32, last-token hidden states of \(slots) slots x \(Self.prompts.count) prompts: "
                + "max relative L2 error \(worst) (slot \(worstSlot)), mean \(sum / Double(count))")
        // Measured: max 0.0084 (slot 27), mean 0.0040.
        #expect(worst > 0)
        #expect(worst < 2e-2)
    }

    @Test(arguments: BF16Kernel.tested)
    func logitsTop1AgreesWithFloat32(kernel: BF16Kernel) throws {
        let p = try Self.pair(kernel)
        let V = p.fp32.config.vocabSize
        let all = ForwardOutputs(logits: .allTokens)
        let l32 = try p.fp32.forward(Self.prompts, outputs: all).logits,
            l16 = try p.bf16.forward(Self.prompts, outputs: all).logits
        var agree = 0, positions = 0, lastAgree = 0, worst: Float = 0
        for (s, seq) in Self.prompts.enumerated() {
            for i in seq.indices {
                let a = l32[s][(i * V)..<((i + 1) * V)], b = l16[s][(i * V)..<((i + 1) * V)]
                let top32 = a.indices.max { a[$0] < a[$1] }!, top16 = b.indices.max { b[$0] < b[$1] }!
                if top32 == top16 { agree += 1; if i == seq.count - 1 { lastAgree += 1 } }
                positions += 1
                worst = max(worst, abs(b[top32] - a[top32]))
            }
        }
        print(
            "SmolLM2 \(kernel.name) vs fp32 logits: top-1 agreement last token \(lastAgree)/\(Self.prompts.count), all positions "
                + "\(agree)/\(positions); max |diff| of the fp32 top-1 logit \(worst)")
        // Measured: 6/6 last tokens, 106/106 positions; one near tie may flip.
        #expect(lastAgree >= Self.prompts.count - 1)
        #expect(Double(agree) >= 0.95 * Double(positions))
    }

    @Test(arguments: BF16Kernel.tested)
    func batchedBF16GenerationEqualsOneAtATime(kernel: BF16Kernel) throws {
        let p = try Self.pair(kernel)
        let batched = try p.bf16.generate(prompts: Self.prompts, maxNewTokens: 16, eosTokenIds: [], maxBatch: 4)
        for (s, prompt) in Self.prompts.enumerated() {
            #expect(
                try p.bf16.generate(prompts: [prompt], maxNewTokens: 16, eosTokenIds: [])[0] == batched[s],
                "prompt \(s)")
        }
        let fp32 = try p.fp32.generate(prompts: Self.prompts, maxNewTokens: 16, eosTokenIds: [], maxBatch: 4)
        let same = zip(batched, fp32).map { b, f in zip(b, f).prefix { $0 == $1 }.count }
        print("SmolLM2 greedy \(kernel.name) vs fp32: leading equal tokens of 16 per prompt \(same)")
    }

    @Test(arguments: BF16Kernel.tested)
    func perplexityStaysCloseToFloat32(kernel: BF16Kernel) throws {
        let p = try Self.pair(kernel)
        let prompts = Self.prompts.map { Array($0.prefix($0.count / 2)) },
            responses = Self.prompts.map { Array($0.dropFirst($0.count / 2)) }
        let l32 = try p.fp32.responseLoss(prompts: prompts, responses: responses)
        let l16 = try p.bf16.responseLoss(prompts: prompts, responses: responses)
        let worst = zip(l16, l32).map { abs($0 - $1) / $1 }.max()!
        print("SmolLM2 \(kernel.name) vs fp32 response NLL: \(l16) vs \(l32), max relative difference \(worst)")
        #expect(worst > 0)
        #expect(worst < 3e-2)
    }

    @Test(arguments: BF16Kernel.tested)
    func compactDecodingWeightsGiveTheSameTokensAndLogits(kernel: BF16Kernel) throws {
        let p = try Self.pair(kernel)
        let c = p.fp32.config
        // The Q4_1 projections are 4-bit compact, the Q8_0 output matrix (tied embedding) 8-bit.
        let compact = try #require(p.bf16.compact)
        for l in 0..<c.layerCount {
            for proj in Projection.all(for: c.architecture) { #expect(compact.projection(layer: l, proj)?.bits == 4) }
        }
        #expect(compact.output?.bits == 8)
        var plain = p.bf16
        plain.compact = nil
        #expect(plain.compact == nil && plain.effectivePrecision == .bfloat16)
        // Decoding steps (one row per sequence) run every product on the compact copies: the same
        // bfloat16 values, so the same greedy tokens and bit-identical last-token logits.
        let a = try p.bf16.generate(prompts: Self.prompts, maxNewTokens: 12, eosTokenIds: [], maxBatch: 3)
        let b = try plain.generate(prompts: Self.prompts, maxNewTokens: 12, eosTokenIds: [], maxBatch: 3)
        #expect(a == b)
        let steps = Self.prompts.map { Array($0.prefix(1)) }
        let la = try p.bf16.forward(steps, outputs: ForwardOutputs(logits: .lastToken)).logits
        let lb = try plain.forward(steps, outputs: ForwardOutputs(logits: .lastToken)).logits
        #expect(la == lb)
    }
}

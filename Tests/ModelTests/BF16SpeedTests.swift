import Foundation
import Testing
@testable import Model

/// Float32 against each bfloat16 path on the real SmolLM2-135M-Instruct (Q4_1 GGUF), interleaved
/// in one process so a loaded machine slows both alike: feature extraction, one decoding stream,
/// a batch of 32 streams and a LoRA step of 256 tokens. Runs only with FEDHDS_PERF=1; prints the
/// ratios (bench/RESULTS.md keeps them) and asserts nothing about speed.
@Suite(.serialized) struct BF16SpeedTests {
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = Date()
        try body()
        return Date().timeIntervalSince(t0)
    }

    @Test(.enabled(if: InferenceSpeedTests.enabled)) func smolLM2Float32AgainstBF16() throws {
        let fp32 = try InferenceSmolLM2Tests.decoder.get()
        let c = fp32.config
        let paths: [(String, Decoder)] =
            [("fp32", fp32)]
            + BF16Kernel.tested.map { ($0.name, Decoder(weights: fp32.weights, precision: .bfloat16, bf16Kernel: $0)) }
        let rounds = Int(ProcessInfo.processInfo.environment["FEDHDS_PERF_ROUNDS"] ?? "3") ?? 3
        let features = InferenceFixtures.sequences(lengths: (0..<16).map { 40 + 9 * $0 }, vocab: c.vocabSize)
        let featureTokens = features.map(\.count).reduce(0, +)
        let prompt = InferenceFixtures.sequences(lengths: [24], vocab: c.vocabSize, seed: 3)
        let prompts32 = InferenceFixtures.sequences(
            lengths: [Int](repeating: 24, count: 32), vocab: c.vocabSize, seed: 4)
        let newTokens = 32
        var best = [String: [String: Double]]()
        func record(_ path: String, _ what: String, _ s: Double) {
            best[path, default: [:]][what] = min(best[path]?[what] ?? .infinity, s)
        }
        for _ in 0..<rounds {
            for (name, d) in paths {
                record(name, "features", try Self.seconds { _ = try d.lastTokenFeatures(features) })
                // Decoding alone: generating 1 token is the prefill, the rest are decoding steps.
                let pre1 = try Self.seconds { _ = try d.generate(prompts: prompt, maxNewTokens: 1, eosTokenIds: []) }
                let all1 = try Self.seconds {
                    _ = try d.generate(prompts: prompt, maxNewTokens: newTokens, eosTokenIds: [])
                }
                record(name, "decode1", max(all1 - pre1, 1e-9))
                let pre32 = try Self.seconds {
                    _ = try d.generate(prompts: prompts32, maxNewTokens: 1, eosTokenIds: [], maxBatch: 32)
                }
                let all32 = try Self.seconds {
                    _ = try d.generate(prompts: prompts32, maxNewTokens: newTokens, eosTokenIds: [], maxBatch: 32)
                }
                record(name, "decode32", max(all32 - pre32, 1e-9))
            }
        }
        let f = best["fp32"]!
        for (name, _) in paths {
            let b = best[name]!
            print(
                String(
                    format:
                        "%@: features %.0f tok/s (%.2fx fp32); decode 1 stream %.1f tok/s (%.2fx); decode batch 32 %.0f tok/s (%.2fx)",
                    name, Double(featureTokens) / b["features"]!, f["features"]! / b["features"]!,
                    Double(newTokens - 1) / b["decode1"]!, f["decode1"]! / b["decode1"]!,
                    Double(32 * (newTokens - 1)) / b["decode32"]!, f["decode32"]! / b["decode32"]!))
        }
        // A LoRA step (loss and gradient) over 256 tokens.
        let weights = fp32.weights
        let lora = LoRAConfig.paper(for: .llama)
        let example = TrainingExample(
            tokens: InferenceFixtures.sequences(lengths: [256], vocab: c.vocabSize, seed: 5)[0],
            lossMask: [Bool](repeating: true, count: 256))
        let trainers: [(String, LoRATrainer)] =
            [("fp32", LoRATrainer(weights: weights, lora: lora, optimizer: .adam(learningRate: 1e-4)))]
            + BF16Kernel.tested.map {
                (
                    $0.name,
                    LoRATrainer(
                        weights: weights, lora: lora, optimizer: .adam(learningRate: 1e-4),
                        precision: .bfloat16, bf16Kernel: $0)
                )
            }
        var rng = TrainingTestRNG(seed: 1)
        let adapter = trainers[0].1.makeAdapter(using: &rng)
        var step = [String: Double]()
        for _ in 0..<rounds {
            for (name, t) in trainers {
                let s = try Self.seconds {
                    _ = try t.lossAndGradient(examples: [example], adapter: adapter, training: true, using: &rng)
                }
                step[name] = min(step[name] ?? .infinity, s)
            }
        }
        for (name, _) in trainers {
            print(
                String(
                    format: "%@: LoRA step of 256 tokens %.3f s (%.2fx fp32)", name, step[name]!,
                    step["fp32"]! / step[name]!))
        }
    }
}

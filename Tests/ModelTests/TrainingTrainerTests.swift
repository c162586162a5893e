import Foundation
import Testing
@testable import Model

/// The trainer's behaviour: padded batches, bad input, non-finite losses, optimizers, init.
@Suite struct TrainingTrainerTests {
    let config = TinyModels.llama
    let lora = LoRAConfig(rank: 2, alpha: 4, dropout: 0, targets: Projection.all(for: .llama))
    let a = TrainingExample(tokens: [5, 9, 17, 33, 2, 40, 41], lossMask: [false, false, false, true, true, true, true])
    let b = TrainingExample(tokens: [7, 8, 60, 61], lossMask: [false, true, true, true])

    func trainer(_ opt: OptimizerConfig = .adam(learningRate: 1e-2), weights: ModelWeights? = nil) -> LoRATrainer {
        LoRATrainer(weights: weights ?? TinyModels.weights(config, seed: 21), lora: lora, optimizer: opt)
    }

    @Test func paddedBatchEqualsTokenWeightedMeanOfSingles() throws {
        let t = trainer()
        let adapter = TinyModels.adapter(config, lora: lora, seed: 22)
        var rng = TrainingTestRNG(seed: 1)
        let (lab, gab) = try t.lossAndGradient(examples: [a, b], adapter: adapter, using: &rng)
        let (la, ga) = try t.lossAndGradient(examples: [a], adapter: adapter, using: &rng)
        let (lb, gb) = try t.lossAndGradient(examples: [b], adapter: adapter, using: &rng)
        let na = Float(a.targetCount), nb = Float(b.targetCount)  // 4 and 3
        #expect(abs(lab - (na * la + nb * lb) / (na + nb)) < 1e-5)
        let combined = zip(ga, gb).map { (na * $0 + nb * $1) / (na + nb) }
        #expect(TrainingGoldenTests.maxDiff(gab, combined) < 1e-5 * TrainingGoldenTests.maxAbs(combined) + 1e-7)
        // The order within the batch does not matter either.
        let (lba, _) = try t.lossAndGradient(examples: [b, a], adapter: adapter, using: &rng)
        #expect(abs(lba - lab) < 1e-5)
    }

    @Test func lossOfUniformPredictionIsLogV() throws {
        // All-zero output matrix: every logit 0, loss = log V exactly.
        var w = TinyModels.weights(config, seed: 21)
        w.lmHead = Tensor(zeros: [config.vocabSize, config.hiddenSize])
        let l = try trainer(weights: w).loss(examples: [a], adapter: LoRAAdapter(config: lora, model: config))
        #expect(abs(l - logf(Float(config.vocabSize))) < 1e-5)
    }

    @Test func emptyResponseAfterTruncationIsSkippedAndReported() throws {
        var t = trainer()
        t.maxLength = 3  // a's targets start at position 3
        var adapter = TinyModels.adapter(config, lora: lora, seed: 22)
        let before = adapter
        var rng = TrainingTestRNG(seed: 2)
        let report = try t.trainEpoch(examples: [a, b], adapter: &adapter, batchSize: 1, using: &rng)
        #expect(report.skippedExamples.map(\.index) == [0])
        #expect(report.skippedExamples[0].reason.contains("no response tokens"))
        #expect(report.steps.count == 1 && report.targetTokens == 2)
        #expect(adapter != before)
        // Asking for its loss alone is a clear error.
        #expect { try t.loss(examples: [a], adapter: before) } throws: { e in
            if case ModelError.invalidInput(let m) = e { return m.contains("no response tokens") } else { return false }
        }
        let allPrompt = TrainingExample(tokens: [1, 2, 3], lossMask: [false, false, false])
        let r2 = try t.trainEpoch(examples: [allPrompt], adapter: &adapter, using: &rng)
        #expect(r2.steps.isEmpty && r2.skippedExamples.count == 1)
    }

    @Test func nonFiniteLossSkipsTheStepAndLeavesTheAdapter() throws {
        var w = TinyModels.weights(config, seed: 21)
        // Token 60's embedding row is NaN: any batch containing it has a NaN loss.
        for j in 0..<config.hiddenSize { w.tokenEmbedding.data[60 * config.hiddenSize + j] = .nan }
        let t = trainer(weights: w)
        var adapter = TinyModels.adapter(config, lora: lora, seed: 22)
        let before = adapter
        var rng = TrainingTestRNG(seed: 3)
        let report = try t.trainEpoch(examples: [b, a], adapter: &adapter, batchSize: 1, using: &rng)
        #expect(report.steps.count == 2)
        #expect(report.skippedSteps == [0])
        #expect(report.steps[0].loss.isNaN && report.steps[0].gradientNorm == nil)
        #expect(report.losses.count == 1 && report.losses[0].isFinite)
        #expect(adapter.parameters.allSatisfy { $0.isFinite })
        // Only the good step changed the adapter: same as training on `a` alone.
        var alone = before
        _ = try t.trainEpoch(examples: [a], adapter: &alone, using: &rng)
        #expect(alone == adapter)
    }

    @Test func invalidInputIsAClearError() throws {
        let t = trainer()
        let adapter = LoRAAdapter(config: lora, model: config)
        #expect(throws: ModelError.self) {
            try t.loss(examples: [TrainingExample(tokens: [1, 99], lossMask: [false, true])], adapter: adapter)
        }
        #expect(throws: ModelError.self) {
            try t.loss(examples: [TrainingExample(tokens: [1, 2], lossMask: [true])], adapter: adapter)
        }
        #expect(throws: ModelError.self) { try t.loss(examples: [], adapter: adapter) }
        var rng = TrainingTestRNG(seed: 4)
        var ad = adapter
        #expect(throws: ModelError.self) { try t.trainEpoch(examples: [a], adapter: &ad, batchSize: 0, using: &rng) }
        let other = LoRAAdapter(config: LoRAConfig(rank: 3, alpha: 4, dropout: 0, targets: [.q]), model: config)
        #expect(throws: ModelError.self) { try t.loss(examples: [a], adapter: other) }
    }

    @Test func sgdStepIsMinusLearningRateTimesGradient() throws {
        let t = trainer(.sgd(learningRate: 0.5))
        var adapter = TinyModels.adapter(config, lora: lora, seed: 22)
        let before = adapter
        var rng = TrainingTestRNG(seed: 5)
        let (_, g) = try t.lossAndGradient(examples: [a], adapter: adapter, using: &rng)
        _ = try t.trainEpoch(examples: [a], adapter: &adapter, using: &rng)
        let expected = zip(before.parameters, g).map { $0 - 0.5 * $1 }
        #expect(TrainingGoldenTests.maxDiff(adapter.parameters, expected) < 1e-6)
    }

    @Test func clippingAndScheduleFollowPyTorch() {
        // clip_grad_norm_(max_norm=1): g * 1 / (||g|| + 1e-6) when ||g|| > 1.
        var cfg = OptimizerConfig.sgd(learningRate: 1)
        cfg.maxGradNorm = 1
        cfg.schedule = { step in step == 0 ? 0.1 : 0.01 }
        var state = OptimizerState(config: cfg, parameterCount: 2)
        var g: [Float] = [3, 4], p: [Float] = [0, 0]
        let norm = state.apply(gradient: &g, to: &p)
        #expect(norm == 5)
        #expect(abs(p[0] + 0.1 * 3 / 5) < 1e-6 && abs(p[1] + 0.1 * 4 / 5) < 1e-6)
        var g2: [Float] = [0.3, 0.4]
        state.apply(gradient: &g2, to: &p)  // below the clip: unchanged, lr 0.01
        #expect(abs(p[0] - (-0.06 - 0.003)) < 1e-6)
        // Adam's first step with PyTorch defaults moves every coordinate by lr * g / (|g| + eps').
        var adam = OptimizerState(config: .adam(learningRate: 0.1), parameterCount: 2)
        var ga: [Float] = [2, -1e-3], pa: [Float] = [1, 1]
        adam.apply(gradient: &ga, to: &pa)
        #expect(abs(pa[0] - 0.9) < 1e-6 && abs(pa[1] - 1.1) < 1e-5)
    }

    @Test func peftInitialisationBoundsAndZeroB() {
        var rng = TrainingTestRNG(seed: 6)
        let adapter = LoRAAdapter.peftInitialized(config: .paper(for: .llama), model: config, using: &rng)
        for v in adapter.views {
            let bound = 1 / Float(v.inFeatures).squareRoot()
            let aVals = adapter.parameters[v.aOffset..<(v.aOffset + 8 * v.inFeatures)]
            #expect(aVals.allSatisfy { abs($0) <= bound })
            #expect(aVals.map(abs).max()! > 0.8 * bound)  // fills the range
            #expect(adapter.parameters[v.bOffset..<(v.bOffset + v.outFeatures * 8)].allSatisfy { $0 == 0 })
        }
        var rng2 = TrainingTestRNG(seed: 6)
        #expect(LoRAAdapter.peftInitialized(config: .paper(for: .llama), model: config, using: &rng2) == adapter)
    }

    @Test func dropoutIsSeededAndChangesTheGradient() throws {
        let dl = LoRAConfig(rank: 2, alpha: 4, dropout: 0.3, targets: Projection.all(for: .llama))
        let t = LoRATrainer(
            weights: TinyModels.weights(config, seed: 21), lora: dl, optimizer: .adam(learningRate: 1e-2))
        var adapter = TinyModels.adapter(config, lora: lora, seed: 22)
        adapter.config = dl
        var r1 = TrainingTestRNG(seed: 7), r2 = TrainingTestRNG(seed: 7), r3 = TrainingTestRNG(seed: 8)
        let g1 = try t.lossAndGradient(examples: [a], adapter: adapter, using: &r1).gradient
        let g2 = try t.lossAndGradient(examples: [a], adapter: adapter, using: &r2).gradient
        let g3 = try t.lossAndGradient(examples: [a], adapter: adapter, using: &r3).gradient
        let g0 = try t.lossAndGradient(examples: [a], adapter: adapter, training: false, using: &r3).gradient
        #expect(g1 == g2)
        #expect(g1 != g3 && g1 != g0)
    }

    @Test func concurrentCallsOnSharedWeightsAgree() throws {
        let t = trainer()
        let adapter = TinyModels.adapter(config, lora: lora, seed: 22)
        var rng = TrainingTestRNG(seed: 9)
        let reference = try t.lossAndGradient(examples: [a, b], adapter: adapter, using: &rng).gradient
        let results = UnsafeSendableBox(count: 6)
        DispatchQueue.concurrentPerform(iterations: 6) { i in
            var r = TrainingTestRNG(seed: UInt64(100 + i))
            results.set(i, try? t.lossAndGradient(examples: [a, b], adapter: adapter, using: &r).gradient)
        }
        for i in 0..<6 { #expect(results.get(i) == reference) }
    }
}

/// Results of concurrent test calls, one slot per call, written under a lock.
final class UnsafeSendableBox: @unchecked Sendable {
    private var slots: [[Float]?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: [Float]?) { lock.lock(); slots[i] = v; lock.unlock() }
    func get(_ i: Int) -> [Float]? { lock.lock(); defer { lock.unlock() }; return slots[i] }
}

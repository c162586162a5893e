import Foundation
import Testing
@testable import Model

/// Consistency of the forward pass on tiny random LLaMA (GQA) and GPT-2 models: packing several
/// sequences, output selection, unmerged LoRA, and the KV-cache path.
@Suite struct ForwardTests {
    static let configs = [InferenceFixtures.llamaConfig, InferenceFixtures.gpt2Config]

    @Test(arguments: configs)
    func packedBatchEqualsOneSequenceAtATime(config: ModelConfig) throws {
        let decoder = Decoder(weights: InferenceFixtures.model(config))
        let batch = InferenceFixtures.sequences(lengths: [5, 17, 1, 9, 12], vocab: config.vocabSize)
        let all = ForwardOutputs(logits: .allTokens, hiddenStates: .allTokens)
        let packed = try decoder.forward(batch, outputs: all)
        for (s, seq) in batch.enumerated() {
            let alone = try decoder.forward([seq], outputs: all)
            #expect(packed.logits[s].count == seq.count * config.vocabSize)
            #expect(packed.hiddenStates[s].count == config.hiddenStateSlots * seq.count * config.hiddenSize)
            let scale = max(1, InferenceFixtures.maxAbs(alone.logits[0]))
            #expect(InferenceFixtures.maxAbsDiff(packed.logits[s], alone.logits[0]) <= 1e-5 * scale)
            #expect(InferenceFixtures.maxAbsDiff(packed.hiddenStates[s], alone.hiddenStates[0]) <= 1e-4)
        }
    }

    @Test(arguments: configs)
    func lastTokenOutputsAreTheLastRowsOfAllTokenOutputs(config: ModelConfig) throws {
        let decoder = Decoder(weights: InferenceFixtures.model(config))
        let batch = InferenceFixtures.sequences(lengths: [7, 3, 11], vocab: config.vocabSize)
        let all = try decoder.forward(batch, outputs: ForwardOutputs(logits: .allTokens, hiddenStates: .allTokens))
        let last = try decoder.forward(batch, outputs: ForwardOutputs(logits: .lastToken, hiddenStates: .lastToken))
        let mixed = try decoder.forward(batch, outputs: ForwardOutputs(logits: .allTokens, hiddenStates: .lastToken))
        let features = try decoder.lastTokenFeatures(batch, maxTokensPerPass: 8)  // forces several passes
        let V = config.vocabSize, d = config.hiddenSize, slots = config.hiddenStateSlots
        for (s, seq) in batch.enumerated() {
            let n = seq.count
            #expect(Array(all.logits[s][((n - 1) * V)...]) == last.logits[s])
            var expected: [Float] = []
            for slot in 0..<slots { expected += all.hiddenStates[s][((slot * n + n - 1) * d)..<((slot * n + n) * d)] }
            #expect(InferenceFixtures.maxAbsDiff(last.hiddenStates[s], expected) <= 1e-5)
            #expect(InferenceFixtures.maxAbsDiff(mixed.hiddenStates[s], expected) <= 1e-5)
            #expect(InferenceFixtures.maxAbsDiff(features[s], expected) <= 1e-5)
            #expect(features[s].count == config.featureWidth)
        }
        let noHead = try decoder.forward(batch, outputs: .features)
        #expect(noHead.logits.allSatisfy { $0.isEmpty })
    }

    @Test(arguments: configs)
    func hiddenSlotsFollowTheOutputHiddenStatesConvention(config: ModelConfig) throws {
        // Slot 0 is the embedding output and the last slot is the final-normed state whose LM head
        // product gives the logits.
        let w = InferenceFixtures.model(config)
        let decoder = Decoder(weights: w)
        let seq = [3, 1, 4, 1, 5]
        let r = try decoder.forward([seq], outputs: ForwardOutputs(logits: .lastToken, hiddenStates: .lastToken))
        let d = config.hiddenSize
        var embed = Array(w.tokenEmbedding.data[(seq.last! * d)..<((seq.last! + 1) * d)])
        if let p = w.positionEmbedding { for i in 0..<d { embed[i] += p.data[(seq.count - 1) * d + i] } }
        #expect(Array(r.hiddenStates[0][0..<d]) == embed)
        let final = Array(r.hiddenStates[0][(config.layerCount * d)...])
        let head = w.outputMatrix
        for v in 0..<config.vocabSize {
            var z: Float = 0
            for i in 0..<d { z += final[i] * head.data[v * d + i] }
            #expect(abs(z - r.logits[0][v]) <= 1e-3 * max(1, abs(z)))
        }
    }

    @Test(arguments: configs)
    func unmergedLoRAEqualsMergedWeights(config: ModelConfig) throws {
        let w = InferenceFixtures.model(config)
        var adapter = LoRAAdapter(
            config: LoRAConfig(rank: 4, alpha: 8, targets: Projection.all(for: config.architecture)),
            model: config)
        var rng = InferenceRNG(seed: 99)
        for i in adapter.parameters.indices { adapter.parameters[i] = Float.random(in: -0.2...0.2, using: &rng) }
        // Merge W' = W + scale * B A.
        var merged = w
        let r = adapter.config.rank
        for view in adapter.views {
            var lin = merged.layers[view.layer].projections[view.projection]!
            for o in 0..<view.outFeatures {
                for i in 0..<view.inFeatures {
                    var s: Float = 0
                    for k in 0..<r {
                        s +=
                            adapter.parameters[view.bOffset + o * r + k]
                            * adapter.parameters[view.aOffset + k * view.inFeatures + i]
                    }
                    lin.weight.data[o * view.inFeatures + i] += adapter.config.scale * s
                }
            }
            merged.layers[view.layer].projections[view.projection] = lin
        }
        let batch = InferenceFixtures.sequences(lengths: [6, 10], vocab: config.vocabSize)
        let all = ForwardOutputs(logits: .allTokens, hiddenStates: .allTokens)
        let withAdapter = try Decoder(weights: w).forward(batch, adapter: adapter, outputs: all)
        let withMerged = try Decoder(weights: merged).forward(batch, outputs: all)
        let without = try Decoder(weights: w).forward(batch, outputs: all)
        for s in batch.indices {
            let scale = max(1, InferenceFixtures.maxAbs(withMerged.logits[s]))
            #expect(InferenceFixtures.maxAbsDiff(withAdapter.logits[s], withMerged.logits[s]) <= 1e-4 * scale)
            #expect(InferenceFixtures.maxAbsDiff(withAdapter.hiddenStates[s], withMerged.hiddenStates[s]) <= 1e-3)
            // The adapter really changes the outputs.
            #expect(InferenceFixtures.maxAbsDiff(withAdapter.logits[s], without.logits[s]) > 1e-2 * scale)
        }
        // A zero adapter (fresh B) is the identity.
        let zero = LoRAAdapter(config: .paper(for: config.architecture), model: config)
        #expect(try Decoder(weights: w).forward(batch, adapter: zero, outputs: all) == without)
    }

    @Test(arguments: configs)
    func kvCacheStepsEqualTheFullForward(config: ModelConfig) throws {
        // Feed a 30-token sequence in chunks (prefill 6, then 1-token steps, a 3-token chunk and a
        // 9-token chunk, exercising both attention paths with a cached prefix) and compare every
        // position's logits with one full forward.
        let decoder = Decoder(weights: InferenceFixtures.model(config))
        let seq = InferenceFixtures.sequences(lengths: [30], vocab: config.vocabSize)[0]
        let full = try decoder.forward([seq], outputs: ForwardOutputs(logits: .allTokens))
        let V = config.vocabSize
        let cache = KVCache(layers: config.layerCount, capacity: 30, kvDim: config.kvHeadCount * config.headDim)
        let ws = Workspace()
        var past = 0
        var stepped: [Float] = []
        for chunk in [6, 1, 1, 1, 3, 9, 1, 1, 7] {
            let part = Array(seq[past..<(past + chunk)])
            try WeightPointers.with(decoder.weights) { wp in
                try decoder.runBlocks(
                    part, spans: [Decoder.Span(offset: 0, count: chunk, past: past)],
                    caches: [cache], lora: nil, ws: ws, weights: wp
                ) { _, _ in }
            }
            let normed = decoder.finalNorm(rows: Array(0..<chunk), ws: ws)
            var logits = [Float](repeating: 0, count: chunk * V)
            logits.withUnsafeMutableBufferPointer { decoder.lmHead(normed, rows: chunk, into: $0.baseAddress!) }
            stepped += logits
            past += chunk
        }
        #expect(past == 30)
        let scale = max(1, InferenceFixtures.maxAbs(full.logits[0]))
        let diff = InferenceFixtures.maxAbsDiff(stepped, full.logits[0])
        #expect(diff <= 1e-4 * scale, "max abs diff \(diff) (logit scale \(scale))")
    }

    @Test func oneDecoderServesConcurrentCallers() async throws {
        let config = InferenceFixtures.llamaConfig
        let decoder = Decoder(weights: InferenceFixtures.model(config))
        let batches = (0..<6).map {
            InferenceFixtures.sequences(lengths: [3 + $0, 9, 14 - $0], vocab: config.vocabSize, seed: UInt64($0))
        }
        let sequential = try batches.map { try decoder.lastTokenFeatures($0) }
        let concurrent = try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
            for (i, b) in batches.enumerated() { group.addTask { (i, try decoder.lastTokenFeatures(b)) } }
            var out = [[[Float]]](repeating: [], count: batches.count)
            for try await (i, f) in group { out[i] = f }
            return out
        }
        #expect(concurrent == sequential)
    }

    @Test func badInputsAreRefusedWithClearErrors() throws {
        let config = InferenceFixtures.llamaConfig
        let decoder = Decoder(weights: InferenceFixtures.model(config))
        #expect(throws: ModelError.invalidInput("sequence 1 is empty")) { try decoder.forward([[1, 2], []]) }
        #expect(throws: ModelError.self) { try decoder.forward([[1, config.vocabSize]]) }
        #expect(throws: ModelError.self) { try decoder.forward([[-1]]) }
        #expect(throws: ModelError.self) { try decoder.forward([[Int](repeating: 1, count: config.contextLength + 1)]) }
        let gptAdapter = LoRAAdapter(config: .paper(for: .gpt2), model: InferenceFixtures.gpt2Config)
        var wrong = gptAdapter
        wrong.parameters[0] = 1
        #expect(throws: ModelError.self) { try decoder.forward([[1, 2]], adapter: wrong) }
        var broken = InferenceFixtures.model(config)
        broken.layers[1].projections[.k] = nil
        #expect(throws: ModelError.self) { try Decoder(weights: broken).forward([[1]]) }
        #expect(try decoder.forward([]).logits.isEmpty)
    }
}

import Foundation
import Testing
@testable import Model

/// Greedy generation with the KV cache and perplexity on tiny random models.
@Suite struct GenerationTests {
    static let configs = [InferenceFixtures.llamaConfig, InferenceFixtures.gpt2Config]

    @Test(arguments: configs)
    func batchedGenerationEqualsOneAtATime(config: ModelConfig) throws {
        let decoder = Decoder(weights: InferenceFixtures.model(config))
        let prompts = InferenceFixtures.sequences(
            lengths: [4, 13, 1, 8, 20, 2, 9, 5], vocab: config.vocabSize, seed: 11)
        let single = try prompts.map {
            try decoder.generate(prompts: [$0], maxNewTokens: 24, eosTokenIds: [], adapter: nil)[0]
        }
        #expect(single.allSatisfy { $0.count == 24 } == true)
        // All at once, and with a batch of 3 that refills finished slots mid-run.
        #expect(try decoder.generate(prompts: prompts, maxNewTokens: 24, eosTokenIds: []) == single)
        #expect(try decoder.generate(prompts: prompts, maxNewTokens: 24, eosTokenIds: [], maxBatch: 3) == single)
        // With an EOS taken from one continuation, sequences stop at different steps.
        let eos = single[1][5]
        let stopped = try decoder.generate(prompts: prompts, maxNewTokens: 24, eosTokenIds: [eos], maxBatch: 3)
        for (s, full) in single.enumerated() {
            let cut = full.firstIndex(of: eos) ?? full.count
            #expect(stopped[s] == Array(full[..<cut]))
        }
        #expect(stopped[1].count == single[1].firstIndex(of: eos)!)
    }

    /// Continuous batching: a finished sequence's slot takes the next prompt in the very next step
    /// (its prefill rides along with the others' decoding rows), prompts enter in input order, and
    /// no row is padding. The steps and fed rows of `timing` must equal a slot-by-slot schedule
    /// computed here from each sequence's own length; waiting for a whole batch to finish, or
    /// padding to the longest, takes more of either.
    @Test(arguments: configs)
    func finishedSlotsAreRefilledAtOnceWithoutPadding(config: ModelConfig) throws {
        let decoder = Decoder(weights: InferenceFixtures.model(config))
        let prompts = InferenceFixtures.sequences(
            lengths: [4, 13, 1, 8, 20, 2, 9, 5, 3, 11], vocab: config.vocabSize, seed: 11)
        let budget = 24
        let single = try prompts.map {
            try decoder.generate(prompts: [$0], maxNewTokens: budget, eosTokenIds: [], adapter: nil)[0]
        }
        // An EOS set that stops sequences at many different steps.
        let eos: Set<Int> = [single[1][3], single[4][9], single[6][1]]
        let lengths = single.map { ($0.firstIndex { eos.contains($0) } ?? budget) }
        #expect(Set(lengths).count >= 3)
        // Steps a sequence occupies its slot: one per kept token, plus the step that produced EOS.
        let occupied = lengths.map { $0 < budget ? $0 + 1 : $0 }
        for maxBatch in [2, 3, 4] {
            var timing = GenerationTiming()
            let out = try decoder.generate(
                prompts: prompts, maxNewTokens: budget, eosTokenIds: eos, maxBatch: maxBatch,
                timing: &timing)
            #expect(out == zip(single, lengths).map { Array($0.0.prefix($0.1)) })
            // The schedule: slots free up after `occupied` steps; the next prompt enters at once.
            var remaining: [Int] = [], next = 0, steps = 0
            while true {
                while remaining.count < maxBatch && next < prompts.count { remaining.append(occupied[next]); next += 1 }
                if remaining.isEmpty { break }
                steps += 1
                remaining = remaining.map { $0 - 1 }.filter { $0 > 0 }
            }
            #expect(timing.prefillSteps + timing.decodeSteps == steps, "maxBatch \(maxBatch)")
            let rows = prompts.map(\.count).reduce(0, +) + occupied.map { $0 - 1 }.reduce(0, +)
            #expect(timing.prefillTokens + timing.decodeTokens == rows, "maxBatch \(maxBatch)")
        }
    }

    @Test(arguments: configs)
    func greedyTokensAreArgmaxesOfFullForwards(config: ModelConfig) throws {
        // Generation without any cache: re-run the whole sequence for every new token.
        let decoder = Decoder(weights: InferenceFixtures.model(config))
        let prompts = InferenceFixtures.sequences(lengths: [3, 10], vocab: config.vocabSize, seed: 5)
        let generated = try decoder.generate(prompts: prompts, maxNewTokens: 12, eosTokenIds: [])
        for (s, prompt) in prompts.enumerated() {
            var seq = prompt
            for _ in 0..<12 {
                let logits = try decoder.forward([seq]).logits[0]
                seq.append(logits.indices.max { logits[$0] < logits[$1] }!)
            }
            #expect(Array(seq[prompt.count...]) == generated[s])
        }
    }

    @Test func generationRespectsBudgetsAndAdapters() throws {
        let config = InferenceFixtures.llamaConfig
        let decoder = Decoder(weights: InferenceFixtures.model(config))
        let prompts = InferenceFixtures.sequences(lengths: [5, 7], vocab: config.vocabSize, seed: 8)
        #expect(try decoder.generate(prompts: prompts, maxNewTokens: 0, eosTokenIds: []) == [[], []])
        // Near the context length generation stops there: the last position (127) is fed, its prediction kept.
        let long = [[Int]](repeating: [Int](repeating: 2, count: config.contextLength - 3), count: 1)
        #expect(try decoder.generate(prompts: long, maxNewTokens: 10, eosTokenIds: [])[0].count == 4)
        var adapter = LoRAAdapter(config: .paper(for: .llama), model: config)
        var rng = InferenceRNG(seed: 1)
        for i in adapter.parameters.indices { adapter.parameters[i] = Float.random(in: -0.5...0.5, using: &rng) }
        let plain = try decoder.generate(prompts: prompts, maxNewTokens: 10, eosTokenIds: [])
        let adapted = try decoder.generate(prompts: prompts, maxNewTokens: 10, eosTokenIds: [], adapter: adapter)
        #expect(plain != adapted)
        #expect(
            try prompts.map {
                try decoder.generate(prompts: [$0], maxNewTokens: 10, eosTokenIds: [], adapter: adapter)[0]
            } == adapted)
        #expect(throws: ModelError.self) { try decoder.generate(prompts: [[1]], maxNewTokens: -1, eosTokenIds: []) }
    }

    @Test(arguments: configs)
    func perplexityIsTheMeanResponseNLLOfTheLogits(config: ModelConfig) throws {
        let decoder = Decoder(weights: InferenceFixtures.model(config, gain: 5))
        let prompts = InferenceFixtures.sequences(lengths: [4, 1, 9], vocab: config.vocabSize, seed: 21)
        let responses = InferenceFixtures.sequences(lengths: [6, 3, 0], vocab: config.vocabSize, seed: 22)
        let losses = try decoder.responseLoss(prompts: prompts, responses: responses, maxTokensPerPass: 12)
        let V = config.vocabSize
        for s in 0..<2 {
            let seq = prompts[s] + responses[s]
            let logits = try decoder.forward([seq], outputs: ForwardOutputs(logits: .allTokens)).logits[0]
            var nll: Double = 0
            for (j, t) in responses[s].enumerated() {
                let row = logits[((prompts[s].count - 1 + j) * V)..<((prompts[s].count + j) * V)].map(Double.init)
                let m = row.max()!
                nll += m + log(row.map { exp($0 - m) }.reduce(0, +)) - row[t]
            }
            nll /= Double(responses[s].count)
            #expect(abs(losses[s] - nll) < 1e-4 * max(1, nll))
        }
        #expect(losses[2].isNaN)
        let ppl = try decoder.perplexity(prompts: Array(prompts[0..<2]), responses: Array(responses[0..<2]))
        #expect(abs(ppl[0] - exp(losses[0])) < 1e-6 * ppl[0])
    }
}

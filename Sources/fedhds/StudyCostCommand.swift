import Actors
import ArgumentParser
import Data
import Foundation
import Model
import Selection

/// `fedhds study cost`: this CPU's unit costs (feature tokens of the full model and of the layer
/// proxy, perplexity tokens, LoRA training tokens, evaluated samples) measured on real Dolly data
/// of the paper's partition, and from them and the partition's actual token counts the projected
/// wall time of each run of the study.
struct StudyCostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost",
        abstract:
            "Measure unit costs on this CPU and project the wall time of every run of the paper-scale Dolly study.",
        discussion: """
            The partition is the run's: 200 clients, Dirichlet alpha 0.5 and 5.0 over the 7 training \
            categories, summarization held out (1,188 prompts), max_length 1024, 10 clients a round for \
            40 rounds, drawn from --seed as `fedhds run` draws them. Unit costs are measured here, on \
            the first clients' samples and a seeded subset of the held-out prompts, one after another in \
            this process: on a busy machine they are figures under load. Each projection includes one \
            final evaluation of all held-out prompts (128 new tokens, greedy, at --eval-batch).
            """)

    @OptionGroup var source: StudySource

    @Option(help: "fp32 or bf16 (default: a run's default).")
    var precision: Precision?

    @Option(help: "Layer-proxy depths K to measure, comma-separated.")
    var proxyLayers = "2,4,8,15"

    @Option(help: "The K the FedHDS-Turbo projection uses (one of --proxy-layers).")
    var turboLayers = 8

    @Option(help: "Feature tokens timed per model (whole samples of the first clients).")
    var featureTokens = 4000

    @Option(help: "Samples trained in the LoRA timing (batch 1, Adam).")
    var trainSamples = 6

    @Option(help: "Held-out prompts generated per batch size timed.")
    var evalPrompts = 16

    @Option(help: "Evaluation batch sizes to time, comma-separated; the first is the one projected.")
    var evalBatch = String(RunConfig().evalBatchSize)

    @Option(help: "Share of the data FedHDS selects (the paper: under 1.5%).")
    var fedhdsRatio = 0.015

    @Option(help: "Share of Random and Perplexity selection.")
    var ratio = 0.015

    func validate() throws {
        guard featureTokens > 0, trainSamples > 0, evalPrompts > 0 else {
            throw ValidationError("the sizes must be positive")
        }
        guard (0...1).contains(fedhdsRatio), (0...1).contains(ratio) else {
            throw ValidationError("ratios must be within 0...1")
        }
        guard try StudyCommand.list(proxyLayers, name: "--proxy-layers").contains(turboLayers) else {
            throw ValidationError("--turbo-layers \(turboLayers) must be one of --proxy-layers \(proxyLayers)")
        }
        _ = try StudyCommand.list(evalBatch, name: "--eval-batch")
    }

    /// Token counts of one partition: per client, and of the rounds the run draws.
    struct Tokens {
        var alpha: Double
        var clientTokens: [Int]
        var clientSamples: [Int]
        var roundTokens: [Int]
        var roundSamples: [Int]
        /// Tokens of the distinct clients that take part at least once (-Turbo's features).
        var distinctTokens: Int
        var distinctClients: Int
        var totalTokens: Int { clientTokens.reduce(0, +) }
        var runTokens: Int { roundTokens.reduce(0, +) }
        var runSamples: Int { roundSamples.reduce(0, +) }
    }

    func run() async throws {
        let (model, data, seed) = (source.model, source.data, source.seed)
        let path = try StudyCommand.modelPath(model)
        let ks = try StudyCommand.list(proxyLayers, name: "--proxy-layers")
        let batches = try StudyCommand.list(evalBatch, name: "--eval-batch")
        let config = try StudyCommand.paperConfig(model: path, data: data, alpha: 0.5, seed: seed, precision: precision)
        let compute = try await ModelCompute.make(config: config)
        let base = compute.base, decoder = base.decoder
        guard let bad = ks.first(where: { $0 > decoder.config.layerCount }) else {
            return try await measure(config: config, compute: compute, ks: ks, batches: batches)
        }
        throw ValidationError("--proxy-layers \(bad): the model has \(decoder.config.layerCount) layers")
    }

    func measure(config: RunConfig, compute: ModelCompute, ks: [Int], batches: [Int]) async throws {
        let seed = source.seed
        let base = compute.base, decoder = base.decoder
        let L = decoder.config.layerCount
        print("== fedhds study cost: \(base.name), CPU \(Provenance.cpuModel()) (\(StudyCommand.cpuFlags()))")
        print(
            "machine: \(StudyCommand.loadLine()) (timings taken under this load), precision \(decoder.effectivePrecision.rawValue) ran"
        )

        // Token counts of the partitions (alpha 0.5 is checked against the run's own data).
        let dolly = try DollyLoader.load(path: config.dataPath)
        let maxLength = min(config.maxLength, decoder.config.contextLength)
        var tokensByID: [Int: Int] = [:]
        func tokens(_ ids: [Int]) throws -> Int {
            var sum = 0
            for (id, sample) in zip(ids, try dolly.samples(withIDs: ids)) {
                if tokensByID[id] == nil {
                    tokensByID[id] = try PromptTokenizer.training(
                        sample: sample, template: .dolly, tokenizer: base.tokenizer,
                        maxLength: maxLength
                    ).inputIDs.count
                }
                sum += tokensByID[id]!
            }
            return sum
        }
        var partitions: [Tokens] = []
        for alpha in [0.5, 5.0] {
            var prng = SeededGenerator(seed: seed, round: 0, client: -1, purpose: .partition)
            let fed = try DollyFederation.make(
                dataset: dolly, clients: config.clients, split: .dirichlet(alpha: alpha),
                heldOutCategory: config.heldoutCategory, seed: seed, using: &prng)
            let clientTokens = try fed.partition.clients.map { try tokens($0) }
            let clientSamples = fed.partition.clients.map(\.count)
            if alpha == config.alpha {
                for c in [0, 1, config.clients - 1]
                where try compute.clientSequences(c).map(\.inputIDs.count).reduce(0, +) != clientTokens[c] {
                    throw ValidationError("the partition drawn here differs from the run's at client \(c)")
                }
            }
            let sampler = try ParticipantSampler(
                clients: config.clients, perRound: config.participantsPerRound, rounds: config.rounds,
                seed: seed, upfront: config.upfrontSampling)
            let rounds = (1...config.rounds).map { sampler.participants(round: $0) }
            let distinct = Set(rounds.flatMap { $0 })
            partitions.append(
                Tokens(
                    alpha: alpha, clientTokens: clientTokens, clientSamples: clientSamples,
                    roundTokens: rounds.map { $0.map { clientTokens[$0] }.reduce(0, +) },
                    roundSamples: rounds.map { $0.map { clientSamples[$0] }.reduce(0, +) },
                    distinctTokens: distinct.map { clientTokens[$0] }.reduce(0, +), distinctClients: distinct.count))
        }
        let heldOut = compute.evaluationPrompts
        print(
            String(
                format:
                    "partition: %d clients, %d training samples, %d training tokens (mean %.0f a sample), %d held-out prompts; %d of %d clients a round, %d rounds",
                config.clients, partitions[0].clientSamples.reduce(0, +), partitions[0].totalTokens,
                Double(partitions[0].totalTokens) / Double(partitions[0].clientSamples.reduce(0, +)), heldOut.count,
                config.participantsPerRound, config.clients, config.rounds))
        for p in partitions {
            let expected = Double(p.totalTokens) * Double(config.participantsPerRound) / Double(config.clients)
            print(
                String(
                    format:
                        "  alpha %.1f: tokens a round expected %.0f, drawn (seed %llu) mean %.0f min %d max %d; %d distinct participants holding %d tokens",
                    p.alpha, expected, seed, Double(p.runTokens) / Double(config.rounds), p.roundTokens.min()!,
                    p.roundTokens.max()!,
                    p.distinctClients, p.distinctTokens))
        }

        // The measured samples: whole samples of the first clients, up to --feature-tokens.
        var seqs: [TokenizedSample] = [], perClient: [[TokenizedSample]] = []
        var client = 0, taken = 0
        while taken < featureTokens && client < config.clients {
            var mine: [TokenizedSample] = []
            for s in try compute.clientSequences(client) where taken < featureTokens {
                mine.append(s)
                taken += s.inputIDs.count
            }
            seqs += mine
            perClient.append(mine)
            client += 1
        }
        let ids = seqs.map(\.inputIDs)
        let adapterValues = try compute.initialAdapter()
        var adapter = LoRAAdapter(
            config: LoRAConfig(
                rank: config.loraRank, alpha: Float(config.loraAlpha), dropout: Float(config.loraDropout),
                targets: Projection.all(for: decoder.config.architecture)), model: decoder.config)
        adapter.parameters = adapterValues

        let (wall0, cpu0) = (Date(), StudyCommand.cpuSeconds())
        // Features: full model with the round's adapter (FedHDS), full model frozen, each proxy K; interleaved twice.
        _ = try decoder.lastTokenFeatures(Array(ids.prefix(2)))  // warm-up
        var featureSeconds = [String: Double]()
        var fullFeatures: [[Float]] = []
        for _ in 0..<2 {
            featureSeconds["adapter", default: 0] += try StudyCommand.seconds {
                fullFeatures = try decoder.lastTokenFeatures(ids, adapter: adapter)
            }
            featureSeconds["full", default: 0] += try StudyCommand.seconds { _ = try decoder.lastTokenFeatures(ids) }
            for k in ks {
                featureSeconds["\(k)", default: 0] += try StudyCommand.seconds {
                    _ = try decoder.lastTokenFeatures(ids, layers: k)
                }
            }
        }
        let tokenCount = Double(taken)
        func per1k(_ key: String) -> Double { featureSeconds[key]! / 2 / tokenCount * 1000 }
        // Perplexity (a forward with the LM head over every response token).
        let pplSeconds = try StudyCommand.seconds {
            _ = try decoder.perplexity(
                prompts: seqs.map { Array($0.inputIDs.prefix($0.promptLength)) },
                responses: seqs.map { Array($0.inputIDs.dropFirst($0.promptLength)) }, adapter: adapter)
        }
        // Client selection (t-SNE + HDBSCAN) per sample, on the full features of each measured client.
        var selectionSeconds = 0.0, selectionSamples = 0, row = 0
        for mine in perClient {
            let n = mine.count
            defer { row += n }
            guard n >= 3 else { continue }
            let x = try Matrix(
                rows: n, cols: decoder.config.featureWidth, floats: fullFeatures[row..<(row + n)].flatMap { $0 })
            var rng = SeededGenerator(seed: seed, round: 1, client: 0, purpose: .tsne)
            let intra = FedHDSIntraClient(
                minClusterSize: config.effectiveMinClusterSize,
                fusion: .tsne(
                    TSNE(
                        components: 2, perplexity: min(config.tsnePerplexity, Double(n - 1)),
                        maxIterations: config.tsneIterations)))
            selectionSeconds += try StudyCommand.seconds { _ = try intra.run(features: x, using: &rng) }
            selectionSamples += n
        }
        // LoRA training (batch 1, Adam), on samples spread over the measured ones; one warm-up step.
        let client0 = try compute.clientSequences(0)
        let step = max(1, client0.count / trainSamples)
        let chosen = Array(stride(from: 0, to: client0.count, by: step).prefix(trainSamples))
        let trainTokens = chosen.map { client0[$0].inputIDs.count }.reduce(0, +)
        _ = try await compute.train(client: 0, round: 0, samples: [chosen[0]], adapter: adapterValues, optimizer: .adam)
        let trainSeconds = try await { () async throws -> Double in
            let t0 = Date()
            _ = try await compute.train(client: 0, round: 1, samples: chosen, adapter: adapterValues, optimizer: .adam)
            return Date().timeIntervalSince(t0)
        }()
        // Evaluation: a seeded subset of the held-out prompts, 128 new tokens, per batch size.
        var order = Array(heldOut.indices)
        var erng = SeededGenerator(seed: seed, round: 0, client: -1, purpose: .evalSample)
        order.shuffle(using: &erng)
        let evalSet = order.prefix(evalPrompts).map { heldOut[$0] }
        var evalPerSample: [(batch: Int, seconds: Double, cpu: Double, newTokens: Int)] = []
        for b in batches {
            var out: [[Int]] = []
            let cpuBefore = StudyCommand.cpuSeconds()
            let s = try StudyCommand.seconds {
                out = try decoder.generate(
                    prompts: evalSet, maxNewTokens: config.maxNewTokens, eosTokenIds: base.stopTokens,
                    adapter: adapter, maxBatch: b)
            }
            evalPerSample.append(
                (
                    b, s / Double(evalSet.count), (StudyCommand.cpuSeconds() - cpuBefore) / Double(evalSet.count),
                    out.map(\.count).reduce(0, +)
                ))
        }

        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        let share = min(1, (StudyCommand.cpuSeconds() - cpu0) / (Date().timeIntervalSince(wall0) * cores))
        print("")
        print(
            String(
                format:
                    "unit costs (measured in this process, one after another; it used %.0f%% of the %.0f cores' time):",
                share * 100, cores))
        print(
            String(
                format:
                    "  features, full model + LoRA (FedHDS)   %7.3f s / 1,000 tokens  (%d samples, %d tokens, %d clients)",
                per1k("adapter"), seqs.count, taken, perClient.count))
        print(
            String(
                format: "  features, full model frozen (K = %d)     %7.3f s / 1,000 tokens  1.00 of full", L,
                per1k("full")))
        for k in ks {
            print(
                String(
                    format:
                        "  features, layer proxy K = %-2d           %7.3f s / 1,000 tokens  %.2f of full (K/L = %.2f)",
                    k, per1k("\(k)"), per1k("\(k)") / per1k("full"), Double(k) / Double(L)))
        }
        let ppl1k = pplSeconds / tokenCount * 1000
        print(String(format: "  perplexity (forward + LM head)         %7.3f s / 1,000 tokens", ppl1k))
        let selPerSample = selectionSamples > 0 ? selectionSeconds / Double(selectionSamples) : 0
        print(
            String(
                format: "  client t-SNE + HDBSCAN                 %7.4f s / sample (%d samples)", selPerSample,
                selectionSamples))
        let trainPerToken = trainSeconds / Double(trainTokens)
        print(
            String(
                format: "  LoRA training, batch 1, Adam           %7.3f s / 1,000 tokens  (%d samples, %d tokens)",
                trainPerToken * 1000, chosen.count, trainTokens))
        for e in evalPerSample {
            print(
                String(
                    format:
                        "  evaluation, batch %-3d                  %7.3f s / sample  (CPU %.3f s; %d prompts, %d new tokens, up to %d each)",
                    e.batch, e.seconds, e.cpu, evalSet.count, e.newTokens, config.maxNewTokens))
        }

        let feat = per1k("adapter") / 1000, proxy = per1k("\(turboLayers)") / 1000, frozen = per1k("full") / 1000
        let ppl = ppl1k / 1000
        let evalAll = evalPerSample[0].seconds * Double(heldOut.count)
        print("")
        print(
            "projected wall time, each with one final evaluation of \(heldOut.count) prompts at batch \(evalPerSample[0].batch) (\(StudyCommand.duration(evalAll))):"
        )
        print(
            "  (Random/Perplexity select \(ratio * 100)%; FedHDS and Turbo are charged \(fedhdsRatio * 100)% of the participants' tokens as training)"
        )
        for p in partitions {
            let tok = Double(p.runTokens), samples = Double(p.runSamples)
            let select = selPerSample * samples
            let rows: [(String, Double)] = [
                ("untuned evaluation", 0),
                ("Random \(ratio * 100)%", trainPerToken * ratio * tok),
                ("Perplexity \(ratio * 100)%", ppl * tok + trainPerToken * ratio * tok),
                ("FedHDS (features every round)", feat * tok + select + trainPerToken * fedhdsRatio * tok),
                (
                    "FedHDS-Turbo, layer proxy K = \(turboLayers)",
                    proxy * Double(p.distinctTokens) + select + trainPerToken * fedhdsRatio * tok
                ),
                (
                    "FedHDS-Turbo, whole model as proxy",
                    frozen * Double(p.distinctTokens) + select + trainPerToken * fedhdsRatio * tok
                ),
                ("FedIT (all data)", trainPerToken * tok)
            ]
            print(String(format: "  alpha %.1f (%d participant tokens over the run):", p.alpha, p.runTokens))
            for (name, work) in rows {
                let line =
                    "    " + name.padding(toLength: 40, withPad: " ", startingAt: 0)
                    + StudyCommand.duration(work + evalAll)
                print(
                    share < 0.8
                        ? line.padding(toLength: 56, withPad: " ", startingAt: 0)
                            + "(idle cores: about \(StudyCommand.duration((work + evalAll) * share)))" : line)
            }
        }
        print("  (`eval.before` = true adds one more evaluation; server steps and transport are not counted)")
        if share < 0.8 {
            print(
                String(
                    format:
                        "  (this process used %.0f%% of the cores' time: other processes took the rest, or the work did not use every core; \"idle cores\" scales the wall times by that share: a bound no run reaches if the work does not spread over the cores)",
                    share * 100))
        }
    }
}

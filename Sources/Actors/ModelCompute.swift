import Data
import Foundation
import Model
import Synchronization

/// A model ready for the federation: the decoder over frozen shared weights and its tokenizer as
/// plain functions (the tiny built-in model uses `ByteTokenizer`).
public struct RunnableModel: Sendable {
    public var decoder: Decoder
    public var tokenizer: TokenizerFunctions
    public var decode: @Sendable ([Int]) -> String
    public var stopTokens: Set<Int>
    public var name: String
}

/// The real `FederatedCompute`: Dolly data partitioned as the paper does, ONE base model shared
/// read-only by every client of the process (features, training, evaluation), an optional frozen
/// proxy for the -Turbo methods. Tokenized client data is made on first use and kept.
public final class ModelCompute: FederatedCompute {
    public let config: RunConfig
    public let base: RunnableModel
    /// Feature model of the -Turbo methods (the base model itself, frozen, when no proxy is set);
    /// with `model.proxy_layers` = K only its first K blocks run (`Decoder.lastTokenFeatures(_:layers:)`).
    public let proxy: RunnableModel
    let federated: FederatedDataset
    let lora: LoRAConfig
    var template: PromptTemplate { config.dataset == .ni ? .naturalInstructions : .dolly }
    /// Tokenized samples by 2 * client (+ 1 for a proxy with its own tokenizer).
    private let tokenized = Mutex<[Int: [TokenizedSample]]>([:])
    /// Held-out evaluation samples (a seeded subset when `eval.samples` > 0).
    let evaluation: [Sample]

    public var clientCount: Int { federated.clientCount }
    public var adapterSize: Int { LoRAAdapter(config: lora, model: base.decoder.config).parameters.count }

    init(
        config: RunConfig, base: RunnableModel, proxy: RunnableModel, federated: FederatedDataset,
        validation: [Sample]? = nil
    ) throws {
        self.config = config
        self.base = base
        self.proxy = proxy
        self.federated = federated
        let proxyDepth = proxy.decoder.config.layerCount
        guard config.proxyLayers <= proxyDepth else {
            throw ActorsError.invalidConfiguration(
                "`model.proxy_layers` is \(config.proxyLayers) but the proxy (\(proxy.name)) has \(proxyDepth) layers")
        }
        let arch = base.decoder.config.architecture
        lora = LoRAConfig(
            rank: config.loraRank, alpha: Float(config.loraAlpha), dropout: Float(config.loraDropout),
            targets: Projection.all(for: arch))
        var all = try validation ?? federated.evaluationSamples()
        if config.evalSamples > 0, all.count > config.evalSamples {
            var rng = SeededGenerator(seed: config.seed, round: 0, client: -1, purpose: .evalSample)
            all.shuffle(using: &rng)
            all = Array(all.prefix(config.evalSamples)).sorted { $0.id < $1.id }
        }
        evaluation = all
        // Every client trains on the base model's runtime: its training packs and threads are set up
        // once, before the first round, so every phase runs with the same threads.
        base.decoder.runtime.prepareForTraining()
    }

    /// Loads the data and the model(s) a configuration names. `configPath` locates relative
    /// data paths (tried from the working directory, then from the configuration's folder and
    /// its parents, then the data folder the Data module finds).
    public static func make(config: RunConfig, configPath: String? = nil) async throws -> ModelCompute {
        try config.requireModel()
        if config.dataset == .ni { return try await makeNI(config: config, configPath: configPath) }
        let path = try resolveData(config.dataPath, configPath: configPath)
        let dataset: Dataset
        do { dataset = try DollyLoader.load(path: path) } catch {
            throw ActorsError.module("loading \(path): \(error)")
        }
        let (fed, validation) = try dollyFederation(config: config, dataset: dataset)
        let base = try loadModel(config.modelPath, config: config)
        let proxy = config.proxyPath.isEmpty ? base : try loadModel(config.proxyPath, config: config)
        return try ModelCompute(config: config, base: base, proxy: proxy, federated: fed, validation: validation)
    }

    /// The clients' partition and, with `eval.split = "validation"`, the validation samples:
    /// drawn from the training categories (own seeded stream) and removed from the data before
    /// the partition. With `eval.split = "test"` the partition is the one it always was.
    static func dollyFederation(config: RunConfig, dataset: Dataset) throws -> (FederatedDataset, [Sample]?) {
        var validationIDs: [Int] = []
        if config.evalSplit == .validation {
            var vrng = SeededGenerator(seed: config.seed, round: 0, client: -1, purpose: .validation)
            do {
                validationIDs = try DollyFederation.validationDraw(
                    dataset: dataset, count: config.validationSamples,
                    heldOutCategory: config.heldoutCategory, using: &vrng)
            } catch { throw ActorsError.invalidConfiguration("`data.validation_samples`: \(error)") }
        }
        var prng = SeededGenerator(seed: config.seed, round: 0, client: -1, purpose: .partition)
        let fed: FederatedDataset
        do {
            fed = try DollyFederation.make(
                dataset: dataset, clients: config.clients, split: .dirichlet(alpha: config.alpha),
                heldOutCategory: config.heldoutCategory, seed: config.seed,
                excluding: Set(validationIDs), using: &prng)
        } catch { throw ActorsError.module("partitioning Dolly: \(error)") }
        guard config.evalSplit == .validation else { return (fed, nil) }
        do { return (fed, try dataset.samples(withIDs: validationIDs)) } catch {
            throw ActorsError.module("validation split: \(error)")
        }
    }

    /// Natural Instructions: every kept training task is a client (docs/ALGORITHM.md, Data), so `data.clients` must
    /// equal the number of tasks kept from the data folder.
    static func makeNI(config: RunConfig, configPath: String?) async throws -> ModelCompute {
        let root: String?
        if config.dataPath.isEmpty || config.dataPath.hasSuffix(".jsonl") {
            root = nil  // the shipped copy
        } else {
            root = try resolveData(
                config.dataPath, configPath: configPath, fallback: { try DataPaths.naturalInstructionsRoot() })
        }
        var prng = SeededGenerator(seed: config.seed, round: 0, client: -1, purpose: .partition)
        let fed: FederatedDataset
        do {
            fed = try NaturalInstructionsFederation.make(root: root, seed: config.seed, using: &prng).data
        } catch { throw ActorsError.module("loading Natural Instructions: \(error)") }
        guard fed.clientCount == config.clients else {
            throw ActorsError.invalidConfiguration(
                "`data.clients` is \(config.clients) but the Natural Instructions data keeps \(fed.clientCount) training tasks (one client each)"
            )
        }
        let base = try loadModel(config.modelPath, config: config)
        let proxy = config.proxyPath.isEmpty ? base : try loadModel(config.proxyPath, config: config)
        return try ModelCompute(config: config, base: base, proxy: proxy, federated: fed)
    }

    static func resolveData(
        _ p: String, configPath: String?,
        fallback: () throws -> String = { try DataPaths.dollyFile() }
    ) throws -> String {
        let fm = FileManager.default
        if p.hasPrefix("/") || fm.fileExists(atPath: p) { return p }
        if let cp = configPath {
            var dir = URL(fileURLWithPath: cp).deletingLastPathComponent().standardizedFileURL
            for _ in 0..<4 {
                let candidate = dir.appendingPathComponent(p).path
                if fm.fileExists(atPath: candidate) { return candidate }
                dir = dir.deletingLastPathComponent()
            }
        }
        // The shipped data folder stands in only for a path that names the shipped file or folder
        // (e.g. the default data/dolly/...): any other missing path is an error, never Dolly.
        let shipped: String
        do { shipped = try fallback() } catch {
            throw ActorsError.invalidConfiguration("`data.path`: \(p) not found (\(error))")
        }
        let wanted = URL(fileURLWithPath: p, relativeTo: URL(fileURLWithPath: "/")).standardizedFileURL.path
        guard p.isEmpty || URL(fileURLWithPath: shipped).standardizedFileURL.path.hasSuffix(wanted) else {
            var looked = [FileManager.default.currentDirectoryPath]
            if let cp = configPath {
                looked.append(
                    URL(fileURLWithPath: cp).deletingLastPathComponent().standardizedFileURL.path + " and its parents")
            }
            throw ActorsError.invalidConfiguration(
                "`data.path`: \(p) not found (looked in \(looked.joined(separator: ", ")))")
        }
        return shipped
    }

    /// The tiny random model (empty path) or a model file.
    static func loadModel(_ path: String, config: RunConfig) throws -> RunnableModel {
        if path.isEmpty {
            try config.requireModel()  // the tiny model runs only when the configuration names it
            let mc = ModelConfig(
                architecture: .llama, vocabSize: ByteTokenizer.vocabularySize, hiddenSize: config.tinyHidden,
                intermediateSize: config.tinyFFN, layerCount: config.tinyLayers, headCount: config.tinyHeads,
                kvHeadCount: config.tinyKVHeads, contextLength: config.tinyContext, tiedEmbeddings: true,
                bosTokenId: ByteTokenizer.bos, eosTokenId: ByteTokenizer.eos)
            var rng = SeededGenerator(seed: config.seed, round: 0, client: -1, purpose: .tinyModel)
            let weights = ModelWeights.random(config: mc, using: &rng)
            return RunnableModel(
                decoder: Decoder(weights: weights, precision: config.precision),
                tokenizer: TokenizerFunctions(encode: { ByteTokenizer.encode($0) }, eosID: ByteTokenizer.eos),
                decode: { ByteTokenizer.decode($0) }, stopTokens: [ByteTokenizer.eos],
                name: "tiny-random-llama")
        }
        return try loadModelFile(path, precision: config.precision)
    }

    // MARK: data

    func samples(_ client: Int, proxy useProxy: Bool) throws -> [TokenizedSample] {
        let key = 2 * client + (useProxy && !config.proxyPath.isEmpty ? 1 : 0)
        if let s = tokenized.withLock({ $0[key] }) { return s }
        let model = useProxy ? proxy : base
        var raw: [Sample]
        do { raw = try federated.clientSamples(client) } catch {
            throw ActorsError.module("client \(client) data: \(error)")
        }
        if config.maxSamplesPerClient > 0 { raw = Array(raw.prefix(config.maxSamplesPerClient)) }
        let maxLength = min(config.maxLength, model.decoder.config.contextLength)
        let s = try raw.map { sample in
            do {
                return try PromptTokenizer.training(
                    sample: sample, template: template, tokenizer: model.tokenizer, maxLength: maxLength)
            } catch {
                throw ActorsError.module("tokenizing sample \(sample.id): \(error)")
            }
        }
        tokenized.withLock { $0[key] = s }
        return s
    }

    func adapter(_ p: [Float]) throws -> LoRAAdapter {
        var a = LoRAAdapter(config: lora, model: base.decoder.config)
        guard a.parameters.count == p.count else {
            throw ActorsError.protocolViolation("adapter of \(p.count) values, the model needs \(a.parameters.count)")
        }
        a.parameters = p
        return a
    }

    static func model<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw ActorsError.module("\(what): \(error)") }
    }

    // MARK: FederatedCompute

    public func localCount(client: Int) throws -> Int {
        let n = try federated.clientSamples(client).count
        return config.maxSamplesPerClient > 0 ? min(n, config.maxSamplesPerClient) : n
    }

    public func tokenCounts(client: Int, model kind: MethodPlan.FeatureModel) throws -> [Int] {
        try samples(client, proxy: kind == .proxy).map(\.inputIDs.count)
    }

    public func features(
        client: Int, adapter p: [Float]?, model kind: MethodPlan.FeatureModel,
        layers: MethodPlan.Layers
    ) async throws -> FeatureMatrix {
        let useProxy = kind == .proxy
        let m = useProxy ? proxy : base
        let seqs = try samples(client, proxy: useProxy).map(\.inputIDs)
        let a = try p.map { try adapter($0) }
        let k = useProxy ? config.proxyLayers : 0
        let rows = try Self.model("features") {
            k > 0
                ? try m.decoder.lastTokenFeatures(seqs, layers: k)
                : try m.decoder.lastTokenFeatures(seqs, adapter: useProxy ? nil : a)
        }
        let d = m.decoder.config.hiddenSize
        let width = layers == .all ? (k > 0 ? (k + 1) * d : m.decoder.config.featureWidth) : d
        var values = [Float]()
        values.reserveCapacity(rows.count * width)
        for r in rows { values += layers == .all ? r : Array(r.suffix(d)) }
        return FeatureMatrix(count: rows.count, width: width, values: values)
    }

    public func perplexities(client: Int, adapter p: [Float]) async throws -> [Double] {
        let s = try samples(client, proxy: false)
        let a = try adapter(p)
        // A sample whose response was cut away entirely has no perplexity (NaN): never the lowest.
        return try Self.model("perplexity") {
            try base.decoder.perplexity(
                prompts: s.map { Array($0.inputIDs.prefix($0.promptLength)) },
                responses: s.map { Array($0.inputIDs.dropFirst($0.promptLength)) }, adapter: a)
        }.map { $0.isFinite ? $0 : .greatestFiniteMagnitude }
    }

    public func train(
        client: Int, round: Int, samples chosen: [Int], adapter p: [Float],
        optimizer: MethodPlan.Optimizer
    ) async throws -> TrainOutcome {
        let all = try samples(client, proxy: false)
        let examples = try chosen.map { i -> TrainingExample in
            guard all.indices.contains(i) else {
                throw ActorsError.protocolViolation("client \(client) has no sample \(i)")
            }
            return TrainingExample(tokens: all[i].inputIDs, lossMask: all[i].lossMask)
        }
        let lr = Float(config.effectiveLearningRate)
        let trainer = LoRATrainer(
            runtime: base.decoder.runtime, lora: lora,
            optimizer: optimizer == .adam ? .adam(learningRate: lr) : .sgd(learningRate: lr),
            maxLength: config.maxLength)
        var a = try adapter(p)
        var rng = SeededGenerator(seed: config.seed, round: round, client: client, purpose: .dropout)
        let report = try Self.model("training") {
            try trainer.train(
                examples: examples, epochs: config.epochs, adapter: &a, batchSize: config.batchSize, using: &rng)
        }
        let loss = report.losses.isEmpty ? nil : Double(report.meanLoss)
        return TrainOutcome(adapter: a.parameters, loss: loss, batches: report.steps.count)
    }

    public var adapterLayout: LoRAAdapter? { LoRAAdapter(config: lora, model: base.decoder.config) }

    public func initialAdapter() throws -> [Float] {
        var rng = SeededGenerator(seed: config.seed, round: 0, client: -1, purpose: .loraInit)
        return LoRAAdapter.peftInitialized(config: lora, model: base.decoder.config, using: &rng).parameters
    }

    func evalPrompts() -> [[Int]] {
        let maxLength = min(config.evalMaxPromptLength, base.decoder.config.contextLength - config.maxNewTokens)
        return evaluation.map {
            PromptTokenizer.generationInput(
                prompt: template.prompt(for: $0), tokenizer: base.tokenizer,
                maxLength: max(1, maxLength))
        }
    }

    public func evaluate(adapter p: [Float]) async throws -> Double {
        try await evaluateWithPredictions(adapter: p).score
    }

    /// Greedy decoding of every evaluated sample (continuous batching of `eval.batch_size`
    /// sequences; results come back in sample order) and each one's Rouge-L F.
    public func evaluateWithPredictions(adapter p: [Float]) async throws -> EvaluationOutcome {
        guard !evaluation.isEmpty else { throw ActorsError.module("no held-out samples to evaluate") }
        let a = try adapter(p)
        let out = try Self.model("generation") {
            try base.decoder.generate(
                prompts: evalPrompts(), maxNewTokens: config.maxNewTokens, eosTokenIds: base.stopTokens,
                adapter: a, maxBatch: config.evalBatchSize)
        }
        let hyps = out.map { base.decode($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        let ni = config.dataset == .ni
        return EvaluationOutcome(
            predictions: zip(evaluation, hyps).map { s, h in
                Prediction(
                    id: s.id, category: s.category, task: ni ? s.category : nil, prediction: h, reference: s.output,
                    rougeL: RougeL.score(hypothesis: h, reference: s.output))
            })
    }

    /// The evaluated samples (held-out test set or validation split; `eval.samples` applied).
    public var evaluationSamples: [Sample] { evaluation }

    /// Generated responses of the held-out samples (for inspection and the demo).
    public func generations(adapter p: [Float]) throws -> [String] {
        let a = try adapter(p)
        return try base.decoder.generate(
            prompts: evalPrompts(), maxNewTokens: config.maxNewTokens, eosTokenIds: base.stopTokens,
            adapter: a, maxBatch: config.evalBatchSize
        ).map(base.decode)
    }

    public func testLoss(adapter p: [Float]) async throws -> Double {
        let a = try adapter(p)
        let maxLength = min(config.maxLength, base.decoder.config.contextLength)
        let s = try evaluation.map {
            try PromptTokenizer.training(
                sample: $0, template: template, tokenizer: base.tokenizer, maxLength: maxLength)
        }.filter { $0.promptLength < $0.inputIDs.count }
        let losses = try Self.model("test loss") {
            try base.decoder.responseLoss(
                prompts: s.map { Array($0.inputIDs.prefix($0.promptLength)) },
                responses: s.map { Array($0.inputIDs.dropFirst($0.promptLength)) }, adapter: a)
        }.filter(\.isFinite)
        return losses.isEmpty ? .nan : losses.reduce(0, +) / Double(losses.count)
    }

    public func saveAdapter(_ parameters: [Float], to folder: URL) throws {
        let a = try adapter(parameters)
        try Self.model("saving the PEFT adapter") {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let baseModel = config.modelKind == .tiny ? base.name : PEFTBaseModel.name(forModel: config.modelPath)
            try a.savePEFT(directory: folder.path, model: base.decoder.config, baseModel: baseModel)
        }
    }
}

import Model
import Selection

/// Everything a run needs, with docs/ALGORITHM.md's defaults. Read from TOML by `RunConfig.parse(toml:)`
/// (every key is listed in `RunConfig.fields`, with its section) and written back, complete, into
/// the run's output folder by `RunConfig.renderTOML()`.
public struct RunConfig: Sendable, Equatable, Codable {
    // top level
    public var name = "run"
    public var method: Method = .fedhds
    public var seed: UInt64 = 42
    public var rounds = 40
    /// Arithmetic of the frozen weights' products in inference (features, evaluation, perplexity) and
    /// LoRA training: bf16 (the default: bfloat16 with float32 sums on AMX or AVX512-BF16; runs as fp32 where the
    /// CPU has neither), or fp32 (exact float32).
    public var precision: Precision = .bfloat16

    // [data]
    public var dataset: Dataset = .dolly
    /// A Dolly jsonl file or a Natural Instructions folder; relative paths resolve from the
    /// configuration file's folder, then from the working directory.
    public var dataPath = "data/dolly/databricks-dolly-15k.jsonl"
    public var clients = 200
    /// Dirichlet concentration of the label partition.
    public var alpha = 0.5
    /// Held-out category code (Dolly: 7 = summarization).
    public var heldoutCategory = 7
    /// Truncation of prompt + response, in tokens.
    public var maxLength = 1024
    /// At most this many samples per client (0 = all); a knob for small runs on one machine.
    public var maxSamplesPerClient = 0
    /// Size of the validation split (`eval.split = "validation"`): samples drawn from the training
    /// categories with the run seed and kept out of every client's data.
    public var validationSamples = 200

    // [model]
    /// What runs: a pretrained model from `modelPath` (the default; a run without one stops and
    /// says how to pass one), or, only when asked for by name, the tiny random model below.
    public var modelKind: ModelKind = .pretrained
    /// GGUF file or Hugging Face folder (`model.kind = "pretrained"`; `--model` sets it).
    public var modelPath = ""
    /// Feature model of the -Turbo methods; empty = the base model itself, frozen.
    public var proxyPath = ""
    /// The -Turbo feature model is the first K blocks of the base model (or of `proxyPath`), sharing
    /// its weights: features from slots 0...K. 0 = the whole model.
    public var proxyLayers = 0
    public var tinyLayers = 2
    public var tinyHidden = 64
    public var tinyHeads = 4
    public var tinyKVHeads = 2
    public var tinyFFN = 128
    public var tinyContext = 1024

    // [lora]
    public var loraRank = 8
    public var loraAlpha = 16.0
    public var loraDropout = 0.05

    // [train]
    /// Learning rate; 0 = the dataset's reference value (3e-5 Dolly, 3e-4 NI).
    public var learningRate = 0.0
    public var epochs = 1
    public var batchSize = 1
    /// FedAvg with equal weights instead of weights proportional to the number of batches.
    public var equalWeight = false

    // [selection]
    public var minClusterSize = 0  // 0 = dataset default: 2 Dolly, 5 NI
    public var serverMinClusterSize = 2
    /// The paper's coreset rule, or the reference code's defects (see `SelectionMode`); the old
    /// boolean `selection.reference_defect = true` reads as `reference-pairing`.
    public var selectionMode: SelectionMode = .paper
    /// Data fraction of Random / Perplexity / Coreset-Cent.
    public var ratio = 0.015
    /// How Random and Perplexity turn the ratio into a per-client count (see `RatioCount`).
    public var ratioRounding: RatioRounding = .stochastic
    /// k of Coreset-Cent's k-means.
    public var kmeansClusters = 10
    public var tsnePerplexity = 30.0
    public var tsneIterations = 1000

    // [federation]
    /// Participation rate k: floor(N * k) distinct clients a round.
    public var participation = 0.05
    /// Draw every round's participants up front from one generator (the reference's way).
    public var upfrontSampling = true

    // [privacy]
    /// Gaussian mechanism on centroids; 0 = off.
    public var dpEpsilon = 0.0
    public var dpDelta = 1e-5

    // [eval]
    /// Rounds (1-based) after which to evaluate; the last round is always evaluated.
    public var evalRounds: [Int] = []
    /// Evaluate the untuned model before round 1.
    public var evalBefore = true
    public var maxNewTokens = 128
    /// Held-out prompts are cut to this many tokens (the reference: max_length 1024).
    public var evalMaxPromptLength = 1024
    /// Held-out samples evaluated (0 = all).
    public var evalSamples = 0
    /// Prompts decoded together (continuous batching: a finished prompt's slot takes the next at
    /// once). 32: of 8, 16 and 32 on SmolLM2 over held-out Dolly prompts, 32 used the least CPU
    /// per sample (experiments/results/study-cost.md).
    public var evalBatchSize = 32
    /// What evaluations score: the held-out category (`test`), or the validation split drawn from
    /// the training categories (`validation`, for choosing hyper-parameters without the test set).
    public var evalSplit: EvalSplit = .test
    /// Test loss on held-out samples every round (the overfitting study).
    public var testLoss = false

    // [transport]
    public var transport: TransportKind = .inProcess
    public var featureDeadline = 600.0
    public var trainDeadline = 1800.0
    public var evalDeadline = 3600.0
    /// A round proceeds once this many participants answered a phase (or its deadline passed).
    public var minResponses = 1
    /// Seconds a round waits at its start for participants whose worker is gone to register again.
    public var rejoinGrace = 10.0
    /// Folder with CURVE keys (server.key, server.pub, authorized/*.pub); empty = no CURVE.
    public var curveKeys = ""

    // [clock]
    /// `wall`: phase deadlines in host seconds (`transport.*_deadline`); `simulated`: rounds run on
    /// the simulated clock (`SimulatedClock`), so host load changes nothing but wall time.
    public var clockKind: ClockKind = .wall
    /// The simulated clients' devices: `uniform` (all alike, always online, never dropping out),
    /// `synthetic` (drawn from the run seed, experiments/README.md) or `trace` (`clockTrace`).
    public var clockDevices: DeviceSource = .uniform
    /// Device trace (JSON Lines) when `clockDevices` is `trace`; relative paths resolve from the
    /// working directory, then from the configuration file's folder.
    public var clockTrace = ""
    /// Over-selection f: a round invites ceil(K x f) online clients and aggregates the first K updates.
    public var overSelection = 1.0
    /// Simulated seconds of the features/centroids phase (0 = no deadline).
    public var simulatedFeatureDeadline = 0.0
    /// Simulated seconds of the training phase (0 = no deadline).
    public var simulatedTrainDeadline = 0.0

    public init() {}

    public enum Dataset: String, Sendable, Codable, Equatable, CaseIterable { case dolly, ni }
    public enum ModelKind: String, Sendable, Codable, Equatable, CaseIterable { case pretrained, tiny }
    public enum EvalSplit: String, Sendable, Codable, Equatable, CaseIterable { case test, validation }
    public enum TransportKind: String, Sendable, Codable, Equatable, CaseIterable {
        case inProcess = "in-process"
        case zeromq
    }
    public enum ClockKind: String, Sendable, Codable, Equatable, CaseIterable { case wall, simulated }
    public enum DeviceSource: String, Sendable, Codable, Equatable, CaseIterable { case uniform, synthetic, trace }

    /// The learning rate used: the configured one, or the reference commands' per dataset.
    public var effectiveLearningRate: Double {
        learningRate > 0 ? learningRate : (dataset == .dolly ? 3e-5 : 3e-4)
    }
    /// HDBSCAN min_cluster_size on the client.
    public var effectiveMinClusterSize: Int {
        minClusterSize > 0 ? minClusterSize : (dataset == .dolly ? 2 : 5)
    }
    /// Where the cached default model lives (`make model` fetches it there).
    public static let defaultModelHint = "~/.cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf"

    /// What the run's header and provenance call the model.
    public var modelDescription: String {
        modelKind == .tiny ? "tiny random model (built in, model.kind = \"tiny\")" : modelPath
    }

    /// Throws, saying how to pass one, when the configuration needs a pretrained model and names none.
    public func requireModel() throws {
        guard modelKind == .pretrained, modelPath.isEmpty else { return }
        throw ActorsError.invalidConfiguration(
            "no model: `model.kind` is \"pretrained\" and `model.path` is empty. Pass --model PATH (the default, "
                + "fetched by `make model`: --model \(RunConfig.defaultModelHint)), or set model.path; for the built-in "
                + "tiny random model set model.kind = \"tiny\"")
    }

    /// floor(N * k), at least 1.
    public var participantsPerRound: Int { max(1, Int((Double(clients) * participation).rounded(.down))) }
}

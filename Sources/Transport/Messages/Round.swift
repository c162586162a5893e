/// What a `RoundStart` asks the clients to do.
public enum RoundPhase: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Features, fusion, intra-client clustering; the answer is `centroids` or `features`.
    case select = 1
    /// Local training on the data the method picks without the server; the answer is `update`.
    case train = 2

    public var description: String {
        switch self {
        case .select: return "select"
        case .train: return "train"
        }
    }
}

/// server -> worker: round `round` begins for `clientIDs` (the participants hosted by that worker)
/// with `phase`; `globalAdapter` is the flattened global trainable parameters.
public struct RoundStart: Sendable, Equatable {
    public var round: Int
    public var clientIDs: [Int]
    public var phase: RoundPhase
    public var globalAdapter: [Float]

    public init(round: Int, clientIDs: [Int], phase: RoundPhase, globalAdapter: [Float] = []) {
        self.round = round
        self.clientIDs = clientIDs
        self.phase = phase
        self.globalAdapter = globalAdapter
    }
}

/// server -> worker: for each client (by id), the ids of its clusters that the server selected.
public struct ClusterSelection: Sendable, Equatable {
    public var round: Int
    public var chosen: [Int: [Int]]

    public init(round: Int, chosen: [Int: [Int]]) {
        self.round = round
        self.chosen = chosen
    }
}

/// Seconds each step took on one client in one round (the paper's time breakdown, Tables 6-7).
public struct ClientTimes: Sendable, Codable, Equatable {
    public var features = 0.0
    public var fusion = 0.0
    public var intraClustering = 0.0
    public var selection = 0.0
    public var training = 0.0

    public init(
        features: Double = 0, fusion: Double = 0, intraClustering: Double = 0, selection: Double = 0,
        training: Double = 0
    ) {
        self.features = features
        self.fusion = fusion
        self.intraClustering = intraClustering
        self.selection = selection
        self.training = training
    }

    public var total: Double { features + fusion + intraClustering + selection + training }
}

/// client -> server: the result of local training in round `round`.
/// `adapter` is the flattened trainable parameters (empty when the client did not train);
/// `trainBatches` weights FedAvg; `trainLoss` is nil when the client did not train;
/// `trainSamples` is the coreset, `localSamples` the client's whole local data; `trainTokens` the
/// tokens trained (over all epochs) and `featureTokens` those only run forward for the choice
/// (Perplexity's scoring), which the simulated clock charges.
public struct ClientUpdate: Sendable, Equatable {
    public var round: Int
    public var clientID: Int
    public var adapter: [Float]
    public var trainSamples: Int
    public var trainBatches: Int
    public var trainLoss: Double?
    public var localSamples: Int
    public var times: ClientTimes
    public var featureTokens: Int
    public var trainTokens: Int

    public init(
        round: Int, clientID: Int, adapter: [Float], trainSamples: Int, trainBatches: Int,
        trainLoss: Double?, localSamples: Int = 0, times: ClientTimes = ClientTimes(),
        featureTokens: Int = 0, trainTokens: Int = 0
    ) {
        self.round = round
        self.clientID = clientID
        self.adapter = adapter
        self.trainSamples = trainSamples
        self.trainBatches = trainBatches
        self.trainLoss = trainLoss
        self.localSamples = localSamples
        self.times = times
        self.featureTokens = featureTokens
        self.trainTokens = trainTokens
    }
}

/// client -> server (the GlobalSelect ablation, and Coreset-Cent's one-time upload of last-layer
/// features): the client's feature points, row-major `sampleIDs.count x dims`. This deliberately
/// reveals per-sample features to the server. `featureTokens`: tokens through the feature model
/// behind them (charged by the simulated clock).
public struct Features: Sendable, Equatable {
    public var round: Int
    public var clientID: Int
    public var sampleIDs: [Int]
    public var dims: Int
    public var values: [Float]
    public var featureTokens: Int

    public init(round: Int, clientID: Int, sampleIDs: [Int], dims: Int, values: [Float], featureTokens: Int = 0) {
        self.round = round
        self.clientID = clientID
        self.sampleIDs = sampleIDs
        self.dims = dims
        self.values = values
        self.featureTokens = featureTokens
    }
}

/// client -> server: the result of local training in round `round`.
/// `adapter` is the flattened trainable parameters; `trainBatches` weights FedAvg; `trainLoss` is
/// nil when the client did not train; `timings` are seconds per phase (e.g. "features", "fusion",
/// "intra", "training"); `dataCounts` are counts such as "local" and "coreset".
public struct ClientUpdate: Sendable, Equatable {
    public var round: Int
    public var clientID: Int
    public var adapter: [Float]
    public var trainSamples: Int
    public var trainBatches: Int
    public var trainLoss: Double?
    public var timings: [String: Double]
    public var dataCounts: [String: Int]

    public init(round: Int, clientID: Int, adapter: [Float], trainSamples: Int, trainBatches: Int,
                trainLoss: Double?, timings: [String: Double] = [:], dataCounts: [String: Int] = [:]) {
        self.round = round
        self.clientID = clientID
        self.adapter = adapter
        self.trainSamples = trainSamples
        self.trainBatches = trainBatches
        self.trainLoss = trainLoss
        self.timings = timings
        self.dataCounts = dataCounts
    }
}

import Transport

/// One line of metrics.jsonl: what happened in one round.
public struct RoundMetrics: Sendable, Codable, Equatable {
    /// Seconds each step took on one client (the paper's time breakdown, Tables 6-7), as the
    /// client's update carried them.
    public typealias ClientTimes = Transport.ClientTimes

    public var round: Int
    public var participants: [Int] = []
    public var responders: [Int] = []
    /// Participants whose update is not aggregated, with the phase and why (a missed deadline, a
    /// failed host; on the simulated clock also late, dropped out or surplus).
    public var dropped: [String: String] = [:]
    /// Centroids each client sent (client id as text).
    public var centroids: [String: Int] = [:]
    /// Local cluster ids the server selected for each client.
    public var selected: [String: [Int]] = [:]
    public var coresetSizes: [String: Int] = [:]
    /// Local data of each participant.
    public var localSizes: [String: Int] = [:]
    /// Sum of coreset sizes over sum of local data sizes of the participants.
    public var dataRatio = 0.0
    public var clientTimes: [String: ClientTimes] = [:]
    /// Seconds of the server's inter-client clustering.
    public var interClustering = 0.0
    /// Payload bytes by message type, both directions.
    public var bytes: [String: Int] = [:]
    /// Mean train loss of each client that trained.
    public var clientLosses: [String: Double] = [:]
    /// Batch-weighted mean train loss over the clients that trained (nil: nobody trained).
    public var trainLoss: Double?
    public var testLoss: Double?
    /// Rouge-L F of the global model after this round, when evaluated.
    public var rougeL: Double?
    public var seconds = 0.0
    /// Protocol faults seen this round (malformed or unexpected messages), as log lines.
    public var faults: [String] = []
    /// The DP release the centroids of this round went through (nil: no noise, or no centroids).
    public var privacy: PrivacySummary?
    /// The round on the simulated clock: start, end, each invited client's phase times and
    /// outcome (nil on the wall clock).
    public var simulated: SimulatedRound?

    public init(round: Int) { self.round = round }

    /// Records one client's update: it responded, with its coreset and local sizes, its times
    /// and, when it trained, its loss.
    public mutating func add(_ u: ClientUpdate) {
        let key = String(u.clientID)
        responders.append(u.clientID)
        coresetSizes[key] = u.trainSamples
        localSizes[key] = u.localSamples
        clientTimes[key] = u.times
        if let l = u.trainLoss, l.isFinite, u.trainBatches > 0 { clientLosses[key] = l }
    }

    /// The round's totals over its `updates` (in client-id order): the data ratio (coreset over
    /// local samples) and the train loss weighted by each client's batches.
    public mutating func summarize(_ updates: [ClientUpdate]) {
        var coreset = 0, local = 0, lossSum = 0.0, batches = 0
        for u in updates {
            coreset += u.trainSamples
            local += u.localSamples
            if let l = u.trainLoss, l.isFinite, u.trainBatches > 0 {
                lossSum += l * Double(u.trainBatches)
                batches += u.trainBatches
            }
        }
        dataRatio = local > 0 ? Double(coreset) / Double(local) : 0
        trainLoss = batches > 0 ? lossSum / Double(batches) : nil
    }
}

/// The differential-privacy guarantee of a round's centroid messages, as the messages recorded it
/// (`Centroids.privacy`): (epsilon, delta), the noise standard deviation and how many messages.
public struct PrivacySummary: Sendable, Codable, Equatable {
    public var epsilon: Double
    public var delta: Double
    public var sigma: Double
    /// Centroid messages released with this mechanism.
    public var messages: Int
    /// Centroid messages that arrived without noise (should be 0 when DP is on).
    public var unnoised: Int

    public init(epsilon: Double, delta: Double, sigma: Double, messages: Int, unnoised: Int) {
        self.epsilon = epsilon
        self.delta = delta
        self.sigma = sigma
        self.messages = messages
        self.unnoised = unnoised
    }
}

/// result.json: the run's summary.
public struct RunResult: Sendable, Codable, Equatable {
    public var name: String
    public var method: String
    public var rounds: Int
    /// Rouge-L F of the untuned model (when evaluated first).
    public var rougeLBefore: Double?
    /// Rouge-L F after the last round.
    public var rougeL: Double?
    /// Mean over rounds of the data ratio.
    public var dataRatio: Double
    public var totalSeconds: Double
    /// Mean over client rounds of a client's total compute seconds.
    public var secondsPerClientRound: Double
    public var evaluations: [String: Double]
    public var adapterPath: String
    public var adapterSHA: String
    /// DP on the centroids: (epsilon, delta) per round (nil: off).
    public var privacy: PrivacySummary?
    /// `selection.mode`: the paper's coreset rule or the reference's defects (nil in older results).
    public var selectionMode: String? = nil
    /// Samples the final evaluation scored (the lines of predictions.jsonl).
    public var evaluated: Int?
    /// What ran: version, commit, model digest, precision, CPU, times (nil in older results).
    public var provenance: Provenance?
}

import Foundation
import Selection
import Transport

/// One federated client: owns its local clustering, its cached proxy features and its timings;
/// the base model and the data live in the shared `FederatedCompute` of its worker process.
/// Every random draw comes from a stream keyed by (run seed, round, client id, purpose).
public actor ClientActor {
    public let id: Int
    let compute: any FederatedCompute
    let config: RunConfig
    let plan: MethodPlan
    let boundary: PrivacyBoundary
    /// Where to keep fused points for the report (nil: not kept).
    let scatterOutput: URL?
    private var proxyFeatures: FeatureMatrix?
    private var clustering: ClientClustering?
    /// `selection.mode` reference-shuffle: the sample whose features are row r of `clustering`.
    private var featureOrder: [Int]?
    /// GlobalSelect: the fused points this round (n x 2, row-major).
    private var fusedOnly: [Double]?
    private var clusteringRound = 0
    private var times = ClientTimes()
    /// Tokens run forward (not trained) in this round's training phase: Perplexity's scoring.
    private var scoredTokens = 0

    public init(id: Int, compute: any FederatedCompute, config: RunConfig, scatterOutput: URL? = nil) throws {
        self.id = id
        self.compute = compute
        self.config = config
        self.plan = config.method.plan
        self.scatterOutput = scatterOutput
        if config.dpEpsilon > 0 {
            do { boundary = try PrivacyBoundary(epsilon: config.dpEpsilon, delta: config.dpDelta) } catch {
                throw ActorsError.invalidConfiguration("`privacy.epsilon`/`privacy.delta`: \(error)")
            }
        } else {
            boundary = .off
        }
    }

    func rng(_ round: Int, _ purpose: SeededGenerator.Purpose) -> SeededGenerator {
        SeededGenerator(seed: config.seed, round: round, client: id, purpose: purpose)
    }

    /// Steps 2-5 (or the GlobalSelect upload): features, fusion, intra-client clustering; the
    /// centroids leave only through the DP boundary.
    /// Coreset-Cent: in round 0 (once, before round 1) every client's last-layer features go to
    /// the server; in the rounds, an empty acknowledgement (the server already knows the choice).
    public func selectPhase(round: Int, adapter: [Float]) async throws -> Message {
        times = ClientTimes()
        if plan.selection == .coresetCent {
            clusteringRound = round
            guard round == 0 else {
                return .features(Features(round: round, clientID: id, sampleIDs: [], dims: 0, values: []))
            }
            let f = try await features(round: round, adapter: adapter)
            return .features(
                Features(
                    round: round, clientID: id, sampleIDs: Array(0..<f.count), dims: f.width,
                    values: f.values, featureTokens: try featureTokens()))
        }
        var feats = try await features(round: round, adapter: adapter)
        // The reference's order defect: its feature rows follow a shuffled DataLoader.
        featureOrder =
            config.selectionMode.shuffleDefect && plan.selection == .hierarchical
            ? SelectionSteps.referenceFeatureOrder(count: feats.count, seed: config.seed, round: round, client: id)
            : nil
        if let order = featureOrder { feats = SelectionSteps.permuteRows(feats, order) }
        var fuseRng = rng(round, .tsne)
        let t0 = Date()
        clusteringRound = round
        if plan.selection == .global {
            let fused = try SelectionSteps.fuse(feats, fusion: plan.fusion, config: config, using: &fuseRng)
            times.fusion = Date().timeIntervalSince(t0)
            fusedOnly = fused
            clustering = nil
            return .features(
                Features(
                    round: round, clientID: id, sampleIDs: Array(0..<feats.count), dims: 2,
                    values: fused.map(Float.init), featureTokens: try featureTokens()))
        }
        let (local, fusionSeconds, clusteringSeconds) = try SelectionSteps.intraClient(
            feats, fusion: plan.fusion, config: config, using: &fuseRng)
        times.fusion = fusionSeconds
        times.intraClustering = clusteringSeconds
        clustering = local
        fusedOnly = nil
        let out = local.outgoing(pairing: config.selectionMode.pairingDefect ? .referenceSampleLabel : .ownCluster)
        let raw: RawCentroids
        do {
            raw = try RawCentroids(
                round: round, clientID: id, clusterIDs: out.map(\.id), dims: local.fused.cols,
                coordinates: out.flatMap { $0.centroid.map(Float.init) },
                featureTokens: try featureTokens())
        } catch {
            throw ActorsError.module("client \(id): centroids: \(error)")
        }
        var noise = rng(round, .dpNoise)
        return .centroids(boundary.release(raw, using: &noise))
    }

    /// Steps 7-8: the local data of this round, then training. `chosen` are the server's
    /// selected cluster ids (hierarchical) or sample indices (GlobalSelect); nil for methods
    /// without a selection phase.
    public func trainPhase(round: Int, adapter: [Float], chosen: [Int]?) async throws -> ClientUpdate {
        if !plan.hasSelectionPhase { times = ClientTimes() }
        scoredTokens = 0
        let local = try compute.localCount(client: id)
        var samples = try await chooseSamples(round: round, adapter: adapter, chosen: chosen, local: local)
        var shuffle = rng(round, .shuffle)
        samples.shuffle(using: &shuffle)
        if let out = scatterOutput, clusteringRound == round, let points = clustering?.fused.values ?? fusedOnly {
            let labels = clustering?.labels ?? [Int](repeating: -1, count: points.count / 2)
            let s = Scatter(
                round: round, client: id, points: points.map(Float.init), labels: labels, chosen: samples.sorted())
            try? s.write(into: out)
        }
        let t0 = Date()
        let outcome: TrainOutcome
        if samples.isEmpty {
            outcome = TrainOutcome(adapter: adapter, loss: nil, batches: 0)
        } else {
            outcome = try await compute.train(
                client: id, round: round, samples: samples, adapter: adapter, optimizer: plan.optimizer)
        }
        times.training = Date().timeIntervalSince(t0)
        clustering = nil
        featureOrder = nil
        fusedOnly = nil
        var trained = 0
        if !samples.isEmpty {
            let tokens = try compute.tokenCounts(client: id, model: .global)
            trained = samples.reduce(0) { $0 + (tokens.indices.contains($1) ? tokens[$1] : 0) } * config.epochs
        }
        return ClientUpdate(
            round: round, clientID: id, adapter: outcome.batches > 0 ? outcome.adapter : [],
            trainSamples: samples.count, trainBatches: outcome.batches, trainLoss: outcome.loss,
            localSamples: local, times: times, featureTokens: scoredTokens, trainTokens: trained)
    }

    /// Tokens of every local sample through this method's feature model (what one feature pass
    /// runs; a frozen proxy's cached features count too: the server charges them once a device).
    func featureTokens() throws -> Int {
        let model: MethodPlan.FeatureModel = plan.featureModel == .proxy ? .proxy : .global
        return try compute.tokenCounts(client: id, model: model).reduce(0, +)
    }

    func features(round: Int, adapter: [Float]) async throws -> FeatureMatrix {
        let t0 = Date()
        defer { times.features = Date().timeIntervalSince(t0) }
        if plan.featureModel == .proxy {  // frozen: computed once per client
            if let f = proxyFeatures { return f }
            let f = try await compute.features(client: id, adapter: nil, model: .proxy, layers: plan.layers)
            proxyFeatures = f
            return f
        }
        return try await compute.features(client: id, adapter: adapter, model: .global, layers: plan.layers)
    }

    func chooseSamples(round: Int, adapter: [Float], chosen: [Int]?, local: Int) async throws -> [Int] {
        let t0 = Date()
        defer { times.selection = Date().timeIntervalSince(t0) }
        switch plan.selection {
        case .hierarchical:
            guard let c = clustering, clusteringRound == round else { return [] }
            var r = rng(round, .shuffle)
            return SelectionSteps.coresetSamples(
                c, selectedIDs: chosen ?? [], order: featureOrder, mode: config.selectionMode, using: &r)
        case .global, .coresetCent:
            return Array(Set((chosen ?? []).filter { (0..<local).contains($0) })).sorted()
        case .all:
            return Array(0..<local)
        case .random:
            let k = try SelectionSteps.ratioCount(local, config: config, round: round, client: id)
            var r = rng(round, .randomSelection)
            return SelectionSteps.random(k, of: local, using: &r)
        case .perplexity:
            let k = try SelectionSteps.ratioCount(local, config: config, round: round, client: id)
            guard k > 0 else { return [] }
            let p = try await compute.perplexities(client: id, adapter: adapter)
            scoredTokens = try compute.tokenCounts(client: id, model: .global).reduce(0, +)
            return try SelectionSteps.lowestPerplexity(k, of: p)
        }
    }
}

import Foundation

/// What a run carries from round to round on the server: the global adapter, who takes part,
/// the metrics and evaluations so far, and where to continue. Made fresh or from a checkpoint;
/// written back into one after every round.
struct RunProgress {
    var global: [Float]
    var sampler: ParticipantSampler
    var metrics: [RoundMetrics] = []
    var evaluations: [String: Double] = [:]
    /// Seconds the run took before this process (a resumed run's earlier part).
    var elapsed = 0.0
    var firstRound = 1
    /// Coreset-Cent's chosen samples per client (computed once, kept in the checkpoint).
    var central: [Int: [Int]]?
    /// Samples the final evaluation scored.
    var evaluated: Int?
    /// The simulated clock the rounds run on (nil: the wall clock). Its time is not state: each
    /// round starts where the previous round's record (`RoundMetrics.simulated`) ended.
    var clock: SimulatedClock?

    /// A new run: the initial adapter and the participant schedule.
    static func fresh(config: RunConfig, compute: any FederatedCompute) throws -> RunProgress {
        let sampler = try ParticipantSampler(
            clients: config.clients, perRound: config.participantsPerRound,
            rounds: config.rounds, seed: config.seed, upfront: config.upfrontSampling)
        return RunProgress(global: try compute.initialAdapter(), sampler: sampler)
    }

    /// The state after the last round of the checkpoint in `output`, which must have been made
    /// with the same configuration and model.
    static func resumed(
        config: RunConfig, compute: any FederatedCompute, output: RunOutput,
        folder: String
    ) throws -> RunProgress {
        guard FileManager.default.fileExists(atPath: output.checkpointURL.path) else {
            throw ActorsError.storage("--resume: \(folder) holds no checkpoint.bin to continue from")
        }
        let cp = try Checkpoint.read(from: output.checkpointURL)
        if !cp.verified {
            let warning =
                "warning: \(output.checkpointURL.path) has no integrity digest (written by an older fedhds); "
                + "resuming from it unverified"
            output.log(warning)
            Console.line(warning)
        }
        guard RunIdentity.configDigest(cp.config) == RunIdentity.configDigest(config),
            cp.config.participation == config.participation,
            cp.config.upfrontSampling == config.upfrontSampling
        else {
            throw ActorsError.invalidConfiguration(
                "--resume: the checkpoint in \(folder) was made with another configuration")
        }
        guard cp.adapter.count == compute.adapterSize else {
            throw ActorsError.storage(
                "checkpoint adapter has \(cp.adapter.count) values, the model needs \(compute.adapterSize)")
        }
        var run = RunProgress(
            global: cp.adapter, sampler: cp.sampler, metrics: cp.metrics, evaluations: cp.evaluations,
            elapsed: cp.elapsedSeconds, firstRound: cp.round + 1, central: cp.coresetCent)
        if run.sampler.upfront, run.sampler.schedule.count < config.rounds {  // more rounds than first planned
            run.sampler = try ParticipantSampler(
                clients: config.clients, perRound: config.participantsPerRound,
                rounds: config.rounds, seed: config.seed, upfront: true)
        }
        return run
    }

    /// The checkpoint after `round`.
    func checkpoint(config: RunConfig, round: Int, since clock: Date) -> Checkpoint {
        Checkpoint(
            config: config, round: round, sampler: sampler, metrics: metrics, evaluations: evaluations,
            elapsedSeconds: elapsed + Date().timeIntervalSince(clock), adapter: global, coresetCent: central)
    }

    /// result.json of the finished run.
    func result(config: RunConfig, output: RunOutput, provenance: Provenance, since clock: Date) -> RunResult {
        let ratios = metrics.map(\.dataRatio)
        let clientRounds = metrics.flatMap { $0.clientTimes.values.map(\.total) }
        let wall = elapsed + Date().timeIntervalSince(clock)
        return RunResult(
            name: config.name, method: config.method.rawValue, rounds: metrics.count,
            rougeLBefore: evaluations["0"], rougeL: evaluations[String(config.rounds)],
            dataRatio: ratios.isEmpty ? 0 : ratios.reduce(0, +) / Double(ratios.count),
            totalSeconds: wall,
            secondsPerClientRound: clientRounds.isEmpty ? 0 : clientRounds.reduce(0, +) / Double(clientRounds.count),
            evaluations: evaluations, adapterPath: output.adapterFolder.path, adapterSHA: AdapterDigest.hex(global),
            privacy: metrics.compactMap(\.privacy).last, selectionMode: config.selectionMode.rawValue,
            evaluated: evaluated, provenance: provenance.finished(since: clock, wallSeconds: wall))
    }
}

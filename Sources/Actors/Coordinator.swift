import Foundation
import Transport

/// How a run is driven from the command line or a test.
public struct RunOptions: Sendable {
    public var output: String
    /// Continue from `checkpoint.bin` in the output folder.
    public var resume = false
    /// Stop (as if killed) after this round's checkpoint; nil = run to the end.
    public var stopAfterRound: Int?
    /// Seconds to wait for workers to register all clients.
    public var registrationTimeout = 600.0
    /// Progress lines on standard error.
    public var showProgress = true
    /// In one process: a log of everything the worker host sends, as encoded (tests, audits).
    public var audit: WireAuditLog?

    public init(output: String, resume: Bool = false, stopAfterRound: Int? = nil, showProgress: Bool = true) {
        self.output = output
        self.resume = resume
        self.stopAfterRound = stopAfterRound
        self.showProgress = showProgress
    }
}

/// Drives a run on the server side: initial adapter (or the checkpoint), the rounds, evaluation
/// at the chosen rounds, a checkpoint + metrics.jsonl + report.html after every round, and at the
/// end the adapter, result.json and the report.
public enum Coordinator {
    /// One process: the in-process transport, one worker host holding every client over the
    /// same `compute` (one base model in memory).
    public static func runInProcess(config: RunConfig, compute: any FederatedCompute, options: RunOptions) async throws -> RunResult {
        let output = try RunOutput(folder: options.output)
        let transport = InProcessServer()
        let log: @Sendable (String) -> Void = { output.log($0) }
        let quiet: @Sendable (String) -> Void = { _ in }
        let server = ServerActor(endpoint: transport as any ServerEndpoint, config: config, log: log,
                                 progress: options.showProgress ? Console.line : quiet)
        await server.start()
        let worker = try transport.connectWorker(name: "worker-0", audit: options.audit)
        let host = try WorkerHost(name: "worker-0", endpoint: worker, config: config, compute: compute,
                                  clientIDs: Array(0..<compute.clientCount), scatterOutput: output.folder, log: log)
        let hostTask = Task<Void, any Error> { try await host.run() }
        defer { hostTask.cancel() }
        let result = try await serve(config: config, server: server, compute: compute, output: output, options: options)
        _ = try? await hostTask.value
        return result
    }

    /// The server side of a run, over any endpoint whose workers register the clients.
    public static func serve(config: RunConfig, server: ServerActor, compute: any FederatedCompute, output: RunOutput,
                             options: RunOptions) async throws -> RunResult {
        let clock = Date()
        let provenance = Provenance.start(config: config)
        try output.writeConfig(config, ran: provenance)
        var evaluated: Int?
        var global: [Float]
        var sampler: ParticipantSampler
        var metrics: [RoundMetrics] = []
        var evaluations: [String: Double] = [:]
        var elapsed = 0.0
        var firstRound = 1
        var central: [Int: [Int]]?  // Coreset-Cent's chosen samples per client
        if options.resume, !FileManager.default.fileExists(atPath: output.checkpointURL.path) {
            throw ActorsError.storage("--resume: \(options.output) holds no checkpoint.bin to continue from")
        }
        if options.resume {
            let cp = try Checkpoint.read(from: output.checkpointURL)
            if !cp.verified {
                let warning = "warning: \(output.checkpointURL.path) has no integrity digest (written by an older fedhds); resuming from it unverified"
                output.log(warning)
                Console.line(warning)
            }
            guard RunIdentity.configDigest(cp.config) == RunIdentity.configDigest(config), cp.config.participation == config.participation,
                  cp.config.upfrontSampling == config.upfrontSampling else {
                throw ActorsError.invalidConfiguration("--resume: the checkpoint in \(options.output) was made with another configuration")
            }
            guard cp.adapter.count == compute.adapterSize else {
                throw ActorsError.storage("checkpoint adapter has \(cp.adapter.count) values, the model needs \(compute.adapterSize)")
            }
            (global, sampler, metrics, evaluations, elapsed) = (cp.adapter, cp.sampler, cp.metrics, cp.evaluations, cp.elapsedSeconds)
            central = cp.coresetCent
            if sampler.upfront, sampler.schedule.count < config.rounds {  // more rounds than first planned
                sampler = try ParticipantSampler(clients: config.clients, perRound: config.participantsPerRound,
                                                 rounds: config.rounds, seed: config.seed, upfront: true)
            }
            firstRound = cp.round + 1
            output.log("resumed after round \(cp.round)")
            if options.showProgress { Console.line("resuming after round \(cp.round) of \(config.rounds)") }
        } else {
            global = try compute.initialAdapter()
            sampler = try ParticipantSampler(clients: config.clients, perRound: config.participantsPerRound,
                                             rounds: config.rounds, seed: config.seed, upfront: config.upfrontSampling)
            try? FileManager.default.removeItem(at: Scatter.folder(output.folder))
            if config.evalBefore {
                if options.showProgress { Console.line("evaluating the untuned model") }
                evaluations["0"] = try await evaluate(compute, adapter: global, round: 0, final: false, output: output).score
            }
        }
        try await server.waitForClients(Set(0..<config.clients), timeout: options.registrationTimeout)
        if config.method.plan.selection == .coresetCent, firstRound <= config.rounds {
            if central == nil {
                if options.showProgress { Console.line("Coreset-Cent: one k-means over every client's last-layer features") }
                central = try await server.centralCoresetCent(adapter: try compute.initialAdapter())
            }
            await server.setFixedSelection(central ?? [:])
        }
        let evalAt = Set(config.evalRounds + [config.rounds])
        var roundSeconds: [Double] = metrics.map(\.seconds)
        if firstRound <= config.rounds {
            for r in firstRound...config.rounds {
                let t0 = Date()
                let (next, mRound) = await server.runRound(r, participants: sampler.participants(round: r), global: global)
                var m = mRound
                global = next
                if config.testLoss {
                    let loss = try await compute.testLoss(adapter: global)
                    if loss.isFinite { m.testLoss = loss } else {
                        let why = "no test loss: no held-out sample keeps response tokens within "
                            + "data.max_length = \(config.maxLength)"
                        output.log("round \(r): " + why)
                        // Asked for and missing: said on the console once (and in the report), not only in run.log.
                        if r == firstRound { Console.line("warning: eval.test_loss = true, but " + why) }
                    }
                }
                if evalAt.contains(r) {
                    if options.showProgress { Console.line("round \(r)/\(config.rounds) · evaluation") }
                    let outcome = try await evaluate(compute, adapter: global, round: r, final: r == config.rounds, output: output)
                    let score = outcome.score
                    if r == config.rounds, !outcome.predictions.isEmpty { evaluated = outcome.predictions.count }
                    m.rougeL = score
                    evaluations[String(r)] = score
                }
                m.seconds = Date().timeIntervalSince(t0)
                metrics.append(m)
                roundSeconds.append(m.seconds)
                let cp = Checkpoint(config: config, round: r, sampler: sampler, metrics: metrics, evaluations: evaluations,
                                    elapsedSeconds: elapsed + Date().timeIntervalSince(clock), adapter: global, coresetCent: central)
                try cp.write(to: output.checkpointURL)
                try output.writeMetrics(metrics)
                try? Report.write(to: output.reportURL, config: config, metrics: metrics, evaluations: evaluations,
                                  result: nil, scatters: Scatter.readAll(from: output.folder))
                do {
                    let mean = roundSeconds.reduce(0, +) / Double(roundSeconds.count)
                    let eta = mean * Double(config.rounds - r)
                    let line = "round \(r)/\(config.rounds) done in \(Console.time(m.seconds)) · loss \(Report.fmt(m.trainLoss)) · data ratio \(Report.fmt(m.dataRatio)) · \(m.responders.count)/\(m.participants.count) updates\(m.dropped.isEmpty ? "" : " · dropped \(m.dropped.keys.sorted())") · ETA \(Console.time(eta))"
                    output.log(line)  // run.log keeps the progress too
                    if options.showProgress { Console.line(line) }
                }
                if m.responders.isEmpty, r < config.rounds, await server.hostedClients.isEmpty {
                    await server.shutdown()
                    throw ActorsError.nothingTrained("round \(r): no worker is left to host any client (\(Self.dropSummary(m))); the checkpoint after round \(r) can be resumed with --resume once workers run again")
                }
                if let stop = options.stopAfterRound, r >= stop, r < config.rounds {
                    await server.shutdown()
                    throw ActorsError.storage("stopped after round \(r) as asked (checkpoint written)")
                }
            }
        }
        await server.shutdown()
        try compute.saveAdapter(global, to: output.adapterFolder)
        let ratios = metrics.map(\.dataRatio)
        let clientRounds = metrics.flatMap { $0.clientTimes.values.map(\.total) }
        let result = RunResult(
            name: config.name, method: config.method.rawValue, rounds: metrics.count,
            rougeLBefore: evaluations["0"], rougeL: evaluations[String(config.rounds)],
            dataRatio: ratios.isEmpty ? 0 : ratios.reduce(0, +) / Double(ratios.count),
            totalSeconds: elapsed + Date().timeIntervalSince(clock),
            secondsPerClientRound: clientRounds.isEmpty ? 0 : clientRounds.reduce(0, +) / Double(clientRounds.count),
            evaluations: evaluations, adapterPath: output.adapterFolder.path, adapterSHA: AdapterDigest.hex(global),
            privacy: metrics.compactMap(\.privacy).last, selectionMode: config.selectionMode.rawValue,
            evaluated: evaluated, provenance: provenance.finished(since: clock, wallSeconds: elapsed + Date().timeIntervalSince(clock)))
        try output.writeResult(result)
        try Report.write(to: output.reportURL, config: config, metrics: metrics, evaluations: evaluations,
                         result: result, scatters: Scatter.readAll(from: output.folder))
        if let last = metrics.last, metrics.allSatisfy({ $0.responders.isEmpty }) {
            throw ActorsError.nothingTrained("no participant sent an update in any of the \(metrics.count) rounds (round \(last.round): \(Self.dropSummary(last)))")
        }
        return result
    }

    /// The first few dropped participants of a round with their reasons.
    static func dropSummary(_ m: RoundMetrics) -> String {
        if m.dropped.isEmpty { return "no participant answered" }
        let keys = m.dropped.keys.sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
        return keys.prefix(3).map { "client \($0): \(m.dropped[$0]!)" }.joined(separator: "; ") + (keys.count > 3 ? "; ..." : "")
    }
}

/// Progress lines on standard error.
public enum Console {
    public static let line: @Sendable (String) -> Void = { text in
        FileHandle.standardError.write(Data(("fedhds: " + text + "\n").utf8))
    }

    public static func time(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "-" }
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}

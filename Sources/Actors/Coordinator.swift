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
    /// The configuration file, whose folder a relative `clock.trace` may be under.
    public var configPath: String?

    public init(
        output: String, resume: Bool = false, stopAfterRound: Int? = nil, showProgress: Bool = true,
        configPath: String? = nil
    ) {
        self.output = output
        self.resume = resume
        self.stopAfterRound = stopAfterRound
        self.showProgress = showProgress
        self.configPath = configPath
    }
}

/// How a run ended: it finished (its result), or it stopped after a round as asked
/// (`RunOptions.stopAfterRound`), with that round's checkpoint written for `--resume`.
public enum RunOutcome: Sendable, Equatable {
    case finished(RunResult)
    case stopped(afterRound: Int)

    /// The result of a finished run (nil: it stopped early).
    public var result: RunResult? {
        if case let .finished(r) = self { return r }
        return nil
    }
}

/// Drives a run on the server side: it only sequences the rounds (`ServerActor.runRound`), the
/// evaluations at the chosen rounds and a checkpoint + metrics.jsonl + report.html after every
/// round; at the end the adapter, result.json and the report.
public enum Coordinator {
    /// One process: the in-process transport, one worker host holding every client over the
    /// same `compute` (one base model in memory).
    @discardableResult
    public static func runInProcess(
        config: RunConfig, compute: any FederatedCompute,
        options: RunOptions
    ) async throws -> RunOutcome {
        let output = try RunOutput(folder: options.output)
        let transport = InProcessServer()
        let log: @Sendable (String) -> Void = { output.log($0) }
        let quiet: @Sendable (String) -> Void = { _ in }
        let server = ServerActor(
            endpoint: transport as any ServerEndpoint, config: config, log: log,
            progress: options.showProgress ? Console.line : quiet)
        await server.start()
        let worker = try transport.connectWorker(name: "worker-0", audit: options.audit)
        let host = try WorkerHost(
            name: "worker-0", endpoint: worker, config: config, compute: compute,
            clientIDs: Array(0..<compute.clientCount), scatterOutput: output.folder, log: log)
        let hostTask = Task<Void, any Error> { try await host.run() }
        defer { hostTask.cancel() }
        let outcome = try await serve(
            config: config, server: server, compute: compute, output: output,
            options: options)
        _ = try? await hostTask.value
        return outcome
    }

    /// The server side of a run, over any endpoint whose workers register the clients.
    @discardableResult
    public static func serve(
        config: RunConfig, server: ServerActor, compute: any FederatedCompute, output: RunOutput,
        options: RunOptions
    ) async throws -> RunOutcome {
        let clock = Date()
        let provenance = Provenance.start(config: config)
        try output.writeConfig(config, ran: provenance)
        if config.method.plan.aggregation == .flexLoRA, compute.adapterLayout == nil {
            throw ActorsError.invalidConfiguration(
                "`method` = \"flexlora\" needs a model: its server step reads "
                    + "the LoRA factors")
        }
        await server.useAdapterLayout(compute.adapterLayout)
        let simulated = config.clockKind == .simulated ? try config.simulatedClock(configPath: options.configPath) : nil
        await server.useClock(simulated)
        var run = try await start(config: config, compute: compute, output: output, options: options)
        run.clock = simulated
        try await server.waitForClients(Set(0..<config.clients), timeout: options.registrationTimeout)
        if config.method.plan.selection == .coresetCent, run.firstRound <= config.rounds {
            if run.central == nil {
                if options.showProgress {
                    Console.line("Coreset-Cent: one k-means over every client's last-layer features")
                }
                run.central = try await server.centralCoresetCent(adapter: try compute.initialAdapter())
            }
            await server.setFixedSelection(run.central ?? [:])
        }
        for r in stride(from: run.firstRound, through: config.rounds, by: 1) {
            let m = try await round(
                r, &run, config: config, server: server, compute: compute, output: output,
                options: options, since: clock)
            if m.responders.isEmpty, r < config.rounds, await server.hostedClients.isEmpty {
                await server.shutdown()
                throw ActorsError.nothingTrained(
                    "round \(r): no worker is left to host any client "
                        + "(\(dropSummary(m))); "
                        + "the checkpoint after round \(r) can be resumed with --resume once workers run again")
            }
            if let stop = options.stopAfterRound, r >= stop, r < config.rounds {
                await server.shutdown()
                output.log("stopped after round \(r) as asked (checkpoint written)")
                return .stopped(afterRound: r)
            }
        }
        await server.shutdown()
        try compute.saveAdapter(run.global, to: output.adapterFolder)
        let result = run.result(config: config, output: output, provenance: provenance, since: clock)
        try output.writeResult(result)
        try Report.write(
            to: output.reportURL, config: config, metrics: run.metrics, evaluations: run.evaluations,
            result: result, scatters: Scatter.readAll(from: output.folder))
        if let last = run.metrics.last, run.metrics.allSatisfy({ $0.responders.isEmpty }) {
            throw ActorsError.nothingTrained(
                "no participant sent an update in any of the \(run.metrics.count) rounds "
                    + "(round \(last.round): \(dropSummary(last)))")
        }
        return .finished(result)
    }

    /// The run's state to begin with: from the checkpoint (`--resume`), or fresh (then the
    /// untuned model is evaluated first when `eval.before` asks).
    static func start(
        config: RunConfig, compute: any FederatedCompute, output: RunOutput,
        options: RunOptions
    ) async throws -> RunProgress {
        if options.resume {
            let run = try RunProgress.resumed(config: config, compute: compute, output: output, folder: options.output)
            output.log("resumed after round \(run.firstRound - 1)")
            if options.showProgress { Console.line("resuming after round \(run.firstRound - 1) of \(config.rounds)") }
            return run
        }
        var run = try RunProgress.fresh(config: config, compute: compute)
        try? FileManager.default.removeItem(at: Scatter.folder(output.folder))
        if config.evalBefore {
            if options.showProgress { Console.line("evaluating the untuned model") }
            let untuned = try await evaluate(compute, adapter: run.global, round: 0, final: false, output: output)
            run.evaluations["0"] = untuned.score
        }
        return run
    }

    /// Round `r`: the protocol round, the test loss and the evaluation it asks for, then the
    /// checkpoint, metrics, report and a progress line. Returns the round's metrics.
    static func round(
        _ r: Int, _ run: inout RunProgress, config: RunConfig, server: ServerActor,
        compute: any FederatedCompute, output: RunOutput, options: RunOptions,
        since clock: Date
    ) async throws -> RoundMetrics {
        let t0 = Date()
        var participants = run.sampler.participants(round: r)
        var simulated: SimulatedRound?
        var cached: Set<Int> = []
        if let clock = run.clock {
            // The clock goes on from where the last round (perhaps before a resume) ended.
            let history = run.metrics.compactMap(\.simulated)
            let plan: [SimulatedRound.Phase] = config.method.plan.hasSelectionPhase ? [.select, .train] : [.train]
            let opened = try clock.start(
                round: r, at: history.last?.end ?? 0, perRound: config.participantsPerRound,
                plan: plan, sampler: run.sampler, minOnline: config.participantsPerRound)
            participants = opened.invited
            simulated = opened
            cached = SimulatedRound.featuresComputed(in: history)
        }
        let (global, metrics) = try await server.runRound(
            r, participants: participants, global: run.global,
            simulated: simulated, featuresCached: cached)
        var m = metrics
        run.global = global
        if config.testLoss {
            let loss = try await compute.testLoss(adapter: global)
            if loss.isFinite {
                m.testLoss = loss
            } else {
                let why =
                    "no test loss: no held-out sample keeps response tokens within "
                    + "data.max_length = \(config.maxLength)"
                output.log("round \(r): " + why)
                // Asked for and missing: said on the console once (and in the report), not only in run.log.
                if r == run.firstRound { Console.line("warning: eval.test_loss = true, but " + why) }
            }
        }
        if Set(config.evalRounds + [config.rounds]).contains(r) {
            if options.showProgress { Console.line("round \(r)/\(config.rounds) · evaluation") }
            let outcome = try await evaluate(
                compute, adapter: global, round: r, final: r == config.rounds,
                output: output)
            if r == config.rounds, !outcome.predictions.isEmpty { run.evaluated = outcome.predictions.count }
            m.rougeL = outcome.score
            run.evaluations[String(r)] = outcome.score
        }
        m.seconds = Date().timeIntervalSince(t0)
        run.metrics.append(m)
        try run.checkpoint(config: config, round: r, since: clock).write(to: output.checkpointURL)
        try output.writeMetrics(run.metrics)
        try? Report.write(
            to: output.reportURL, config: config, metrics: run.metrics, evaluations: run.evaluations,
            result: nil, scatters: Scatter.readAll(from: output.folder))
        let line = progressLine(m, of: config.rounds, seconds: run.metrics.map(\.seconds))
        output.log(line)  // run.log keeps the progress too
        if options.showProgress { Console.line(line) }
        return m
    }

    /// "round r/R done in ... · loss · data ratio · updates · dropped · ETA".
    static func progressLine(_ m: RoundMetrics, of rounds: Int, seconds: [Double]) -> String {
        let eta = seconds.reduce(0, +) / Double(max(1, seconds.count)) * Double(rounds - m.round)
        let dropped = m.dropped.isEmpty ? "" : " · dropped \(m.dropped.keys.sorted())"
        let simulated = m.simulated.map { " · simulated clock \(Console.time($0.end))" } ?? ""
        return "round \(m.round)/\(rounds) done in \(Console.time(m.seconds)) · loss \(Report.fmt(m.trainLoss)) · "
            + "data ratio \(Report.fmt(m.dataRatio)) · \(m.responders.count)/\(m.participants.count) updates"
            + "\(dropped)\(simulated) · ETA \(Console.time(eta))"
    }

    /// The first few dropped participants of a round with their reasons.
    static func dropSummary(_ m: RoundMetrics) -> String {
        if m.dropped.isEmpty { return "no participant answered" }
        let keys = m.dropped.keys.sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
        return keys.prefix(3).map { "client \($0): \(m.dropped[$0]!)" }.joined(separator: "; ")
            + (keys.count > 3 ? "; ..." : "")
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
        return t >= 3600
            ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}

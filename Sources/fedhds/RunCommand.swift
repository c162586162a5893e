import Actors
import ArgumentParser
import Foundation

/// Options every run command shares: the configuration file and the overrides that make
/// sweeps one loop in a shell script.
struct ConfigOptions: ParsableArguments {
    @Argument(help: "Configuration file (TOML), e.g. experiments/smoke.toml.")
    var config: String

    @Option(help: "Output folder (default runs/<name>).")
    var out: String?

    @Option(parsing: .unconditional, help: "Participation rate k, overriding federation.participation.")
    var participation: Double?

    @Option(help: "Model file or folder, overriding model.path.")
    var model: String?

    @Option(parsing: .unconditional, help: "Number of rounds, overriding rounds.")
    var rounds: Int?

    @Option(parsing: .unconditional, help: "Run seed, overriding seed.")
    var seed: UInt64?

    @Flag(help: "Start over in an output folder that holds another run (its result, checkpoint and logs are removed).")
    var force = false

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "Override any configuration key, e.g. --set data.alpha=5.0 --set method=fedit (repeatable).",
            valueName: "KEY=VALUE"))
    var overrides: [String] = []

    /// The configuration with the overrides applied, validated. `simulatedClock`: what this
    /// command does with `clock.kind` = "simulated" (nil: runs on it; otherwise the reason it
    /// refuses it).
    func load(simulatedClock refusal: String? = nil) throws -> RunConfig {
        var c = try RunConfig.load(path: config)
        if let p = participation {
            guard p > 0, p <= 1 else { throw ValidationError("--participation must be in (0, 1], got \(p)") }
            c.participation = p
        }
        if let m = model { (c.modelPath, c.modelKind) = (m, .pretrained) }
        if let r = rounds {
            guard r >= 1 else { throw ValidationError("--rounds must be at least 1") }
            c.rounds = r
        }
        if let s = seed { c.seed = s }
        for o in overrides { try c.set(o) }
        try c.validate()
        try c.requireModel()
        if c.clockKind == .simulated, let refusal {
            throw ValidationError(
                "`clock.kind` = \"simulated\": \(refusal) (experiments/README.md, "
                    + "\"The simulated clock\")")
        }
        return c
    }

    /// The header line of run, cluster and server: what runs, on which model, where to.
    static func header(_ command: String, _ c: RunConfig, out: String) -> String {
        "\(command) \(c.name): \(c.method.rawValue), \(Wording.count(c.clients, "client")), "
            + "\(c.participantsPerRound) a round, \(Wording.count(c.rounds, "round")), model \(c.modelDescription), "
            + "learning rate \(c.effectiveLearningRate), seed \(c.seed) -> \(out)"
    }

    func outputFolder(_ c: RunConfig) -> String { out ?? "runs/\(c.name)" }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a federation in one process (server and all clients over the in-process transport).")

    @OptionGroup var options: ConfigOptions

    @Flag(help: "Continue from the checkpoint in the output folder.")
    var resume = false

    @Option(help: .hidden)
    var stopAfter: Int?

    func run() async throws {
        let c = try options.load(simulatedClock: nil)
        let out = options.outputFolder(c)
        CommandPrecision.announce(c.precision)
        try RunOutput.prepare(folder: out, resume: resume, force: options.force)
        Console.line(ConfigOptions.header("run", c, out: out))
        let compute = try await ModelCompute.make(config: c, configPath: options.config)
        let result = try await Coordinator.runInProcess(
            config: c, compute: compute,
            options: RunOptions(output: out, resume: resume, stopAfterRound: stopAfter, configPath: options.config))
        Summary.print(result, output: out)
    }
}

/// The lines printed at the end of a run.
enum Summary {
    static func print(_ outcome: RunOutcome, output: String) {
        switch outcome {
        case let .finished(r): print(r, output: output)
        case let .stopped(round):
            Swift.print(
                "stopped after round \(round) as asked; continue with --resume (checkpoint: \(output)/checkpoint.bin)")
        }
    }

    static func print(_ r: RunResult, output: String) {
        func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "-" }
        let seconds = String(format: "%.1f", r.totalSeconds)
        Swift.print("method \(r.method), \(Wording.count(r.rounds, "round")) in \(seconds) s")
        Swift.print("Rouge-L before tuning: \(f(r.rougeLBefore))")
        Swift.print("Rouge-L after tuning:  \(f(r.rougeL))")
        Swift.print("data ratio (selected / local, mean over rounds): \(f(r.dataRatio))")
        if let p = r.privacy {
            Swift.print(
                "DP on centroids: (epsilon \(p.epsilon), delta \(p.delta))-DP per release, noise sigma \(f(p.sigma))")
        }
        Swift.print("adapter: \(r.adapterPath) (digest \(r.adapterSHA))")
        if r.evaluated != nil { Swift.print("predictions: \(output)/predictions.jsonl (\(r.evaluated!) samples)") }
        if let p = r.provenance {
            Swift.print("ran: fedhds \(p.version) commit \(p.commit), precision \(p.precision), \(p.cpuModel)")
        }
        Swift.print("report: \(output)/report.html")
    }
}

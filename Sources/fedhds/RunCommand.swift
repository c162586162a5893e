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

    @Option(help: "Participation rate k, overriding federation.participation.")
    var participation: Double?

    @Option(help: "Model file or folder, overriding model.path.")
    var model: String?

    @Option(help: "Number of rounds, overriding rounds.")
    var rounds: Int?

    @Option(help: "Run seed, overriding seed.")
    var seed: UInt64?

    @Flag(help: "Start over in an output folder that holds another run (its result, checkpoint and logs are removed).")
    var force = false

    @Option(name: .customLong("set"), help: ArgumentHelp("Override any configuration key, e.g. --set data.alpha=5.0 --set method=fedit (repeatable).", valueName: "KEY=VALUE"))
    var overrides: [String] = []

    func load() throws -> RunConfig {
        var c = try RunConfig.load(path: config)
        if let p = participation {
            guard p > 0, p <= 1 else { throw ValidationError("--participation must be in (0, 1], got \(p)") }
            c.participation = p
        }
        if let m = model { c.modelPath = m }
        if let r = rounds {
            guard r >= 1 else { throw ValidationError("--rounds must be at least 1") }
            c.rounds = r
        }
        if let s = seed { c.seed = s }
        for o in overrides { try c.set(o) }
        try c.validate()
        if c.clockKind == .simulated {  // the clock's core exists; the rounds do not run on it yet
            throw ValidationError("`clock.kind` = \"simulated\" is not wired into the rounds yet "
                                  + "(experiments/README.md, \"The simulated clock\")")
        }
        return c
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
        let c = try options.load()
        let out = options.outputFolder(c)
        CommandPrecision.announce(c.precision)
        try RunOutput.prepare(folder: out, resume: resume, force: options.force)
        Console.line("run \(c.name): \(c.method.rawValue), \(c.clients) clients, \(c.participantsPerRound) a round, \(c.rounds) rounds -> \(out)")
        let compute = try await ModelCompute.make(config: c, configPath: options.config)
        let result = try await Coordinator.runInProcess(
            config: c, compute: compute, options: RunOptions(output: out, resume: resume, stopAfterRound: stopAfter))
        Summary.print(result, output: out)
    }
}

/// The lines printed at the end of a run.
enum Summary {
    static func print(_ r: RunResult, output: String) {
        func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "-" }
        Swift.print("method \(r.method), \(r.rounds) rounds in \(String(format: "%.1f", r.totalSeconds)) s")
        Swift.print("Rouge-L before tuning: \(f(r.rougeLBefore))")
        Swift.print("Rouge-L after tuning:  \(f(r.rougeL))")
        Swift.print("data ratio (selected / local, mean over rounds): \(f(r.dataRatio))")
        if let p = r.privacy {
            Swift.print("DP on centroids: (epsilon \(p.epsilon), delta \(p.delta))-DP per release, noise sigma \(f(p.sigma))")
        }
        Swift.print("adapter: \(r.adapterPath) (digest \(r.adapterSHA))")
        if r.evaluated != nil { Swift.print("predictions: \(output)/predictions.jsonl (\(r.evaluated!) samples)") }
        if let p = r.provenance { Swift.print("ran: fedhds \(p.version) commit \(p.commit), precision \(p.precision), \(p.cpuModel)") }
        Swift.print("report: \(output)/report.html")
    }
}

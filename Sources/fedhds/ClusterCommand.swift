import Actors
import ArgumentParser
import Foundation
import Synchronization
import Transport

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract:
            "Run a federation as a local multi-process cluster: this process is the server, N worker processes host the clients (ZeroMQ over tcp://127.0.0.1, CURVE keys made in <out>/keys)."
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: "Number of worker processes.")
    var workers: Int = 2

    @Flag(help: "Continue from the checkpoint in the output folder.")
    var resume = false

    @Flag(help: "Plain TCP without CURVE.")
    var noCurve = false

    @Option(help: "How often a worker that died is restarted.")
    var maxRestarts: Int = 5

    func run() async throws {
        let c = try options.load(simulatedClock: nil)  // on one machine the simulated clock runs as in `run`
        guard workers >= 1, workers <= c.clients else {
            throw ValidationError("--workers must be within 1...\(c.clients)")
        }
        let out = options.outputFolder(c)
        CommandPrecision.announce(c.precision)
        Console.line(ConfigOptions.header("cluster", c, out: out))
        try RunOutput.prepare(folder: out, resume: resume, force: options.force)
        let output = try RunOutput(folder: out)
        // Workers read the effective configuration (overrides included) from the run folder.
        let configCopy = output.folder.appendingPathComponent("cluster-config.toml").path
        try AtomicFile.write(Data(c.renderTOML().utf8), to: URL(fileURLWithPath: configCopy))
        let names = (0..<workers).map { "worker-\($0)" }
        var curve: CurveServerOptions?
        let keyDir = output.folder.appendingPathComponent("keys").path
        if !noCurve {
            try KeyFolder.create(keyDir, workers: names)
            curve = try KeyFolder.server(keyDir)
        }
        let compute = try await ModelCompute.make(config: c, configPath: options.config)
        let endpoint = try ZMQServerEndpoint(options: ZMQServerOptions(endpoint: "tcp://127.0.0.1:*", curve: curve))
        let address = endpoint.boundEndpoint
        Console.line(
            "cluster \(c.name): server on \(address)\(curve == nil ? "" : " (CURVE)"), \(workers) worker processes")
        let server = ServerActor(
            endpoint: endpoint, config: c,
            log: {
                output.log($0); Console.line($0)
            }, progress: Console.line)
        await server.start()

        let supervisor = Supervisor(pidFile: output.folder.appendingPathComponent("workers.json"))
        // SIGTERM / SIGINT to the cluster stop its workers too (not only when their lease ends).
        let signalSources = [Int32(SIGTERM), Int32(SIGINT)].map { (number: Int32) -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                supervisor.finish()
                supervisor.terminateAll()
                output.log("cluster: signal \(number): workers stopped, exiting")
                Console.line("cluster: signal \(number): workers stopped, exiting")
                Glibc.exit(128 + number)
            }
            source.resume()
            return source
        }
        defer { signalSources.forEach { $0.cancel() } }
        let ranges = ClientRange.split(c.clients, into: workers)
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        for (i, name) in names.enumerated() {
            var args = [
                "worker", configCopy, "--connect", address, "--clients", ranges[i], "--name", name, "--out", out
            ]
            if !noCurve { args += ["--keys", keyDir] }
            supervisor.start(
                name: name, executable: exe, arguments: args, maxRestarts: maxRestarts,
                log: {
                    output.log($0); Console.line($0)
                })
        }
        var opts = RunOptions(output: out, resume: resume, configPath: options.config)
        opts.registrationTimeout = 300
        do {
            let result = try await Coordinator.serve(
                config: c, server: server, compute: compute, output: output, options: opts)
            supervisor.finish()
            await supervisor.waitAll(timeout: 10)
            Summary.print(result, output: out)
        } catch {
            supervisor.finish()
            supervisor.terminateAll()
            throw error
        }
    }
}

/// Starts worker processes and restarts one that dies while the run goes on; their pids are
/// kept in workers.json in the run folder.
final class Supervisor: Sendable {
    private struct State {
        var processes: [String: Process] = [:]; var finished = false; var restarts: [String: Int] = [:]
    }
    private let state = Mutex(State())
    let pidFile: URL

    init(pidFile: URL) { self.pidFile = pidFile }

    func start(
        name: String, executable: URL, arguments: [String], maxRestarts: Int, log: @escaping @Sendable (String) -> Void
    ) {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        p.terminationHandler = { [weak self] proc in
            guard let self else { return }
            // A worker ends normally (status 0) when the server says shutdown; anything else
            // (a crash, a kill) is restarted and the worker registers again.
            let clean = proc.terminationReason == .exit && proc.terminationStatus == 0
            let (again, count) = self.state.withLock { s -> (Bool, Int) in
                let n = s.restarts[name, default: 0]
                if clean || s.finished || n >= maxRestarts { return (false, n) }
                s.restarts[name] = n + 1
                return (true, n + 1)
            }
            guard again else { return }
            let how = proc.terminationReason == .uncaughtSignal ? "was killed by signal" : "exited with status"
            log(
                "worker \(name) (pid \(proc.processIdentifier)) \(how) \(proc.terminationStatus); restart \(count) of \(maxRestarts)"
            )
            Thread.sleep(forTimeInterval: 1)
            self.start(name: name, executable: executable, arguments: arguments, maxRestarts: maxRestarts, log: log)
        }
        do { try p.run() } catch {
            log("cannot start worker \(name): \(error)")
            return
        }
        state.withLock { $0.processes[name] = p }
        writePids()
    }

    func writePids() {
        let pids = state.withLock { s in s.processes.mapValues { Int($0.processIdentifier) } }
        if let data = try? JSONSerialization.data(withJSONObject: pids, options: [.sortedKeys]) {
            try? AtomicFile.write(data, to: pidFile)
        }
    }

    func finish() { state.withLock { $0.finished = true } }

    func waitAll(timeout: Double) async {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if state.withLock({ $0.processes.values.allSatisfy { !$0.isRunning } }) { return }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
        terminateAll()
    }

    func terminateAll() {
        for p in state.withLock({ Array($0.processes.values) }) where p.isRunning { p.terminate() }
    }
}

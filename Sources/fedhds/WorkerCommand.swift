import Actors
import ArgumentParser
import Foundation
import Transport

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Host some clients over one shared base model and serve a federation server over ZeroMQ.")

    @Argument(help: "The run's configuration file (the server refuses a worker whose configuration differs).")
    var config: String

    @Option(help: "The server, e.g. tcp://10.0.0.1:5555.")
    var connect: String

    @Option(help: "Clients to host: ids and inclusive ranges, e.g. 0-99 or 0-9,20-29.")
    var clients: String

    @Option(help: "This worker's name (its CURVE key files are <keys>/<name>.pub/.secret).")
    var name: String = "worker-\(ProcessInfo.processInfo.processIdentifier)"

    @Option(help: "Folder of CURVE keys (needs <name>.pub, <name>.secret and server.pub).")
    var keys: String?

    @Option(help: "Model file or folder, overriding model.path.")
    var model: String?

    @Option(
        help:
            "Seconds without a message from the server after which this worker counts it as lost and exits with an error (status 1; `cluster` restarts it)."
    )
    var lease: Double = 10

    @Option(help: "Run folder on this machine, for the report's fused-feature scatter (optional).")
    var out: String?

    func run() async throws {
        var c = try RunConfig.load(path: config)
        if let m = model { (c.modelPath, c.modelKind) = (m, .pretrained) }
        try c.validate()
        try c.requireModel()
        // `clock.kind` = "simulated" is the server's business: only `cluster` serves such a
        // configuration (`server` refuses it), and the worker's config digest must match it.
        let ids = try ClientRange.parse(clients, below: c.clients)
        guard lease.isFinite, lease > 1, lease <= 86_400 else {
            throw ValidationError("--lease must be within (1, 86400] seconds")
        }
        let curve = try keys.map { try KeyFolder.worker($0, name: name) }
        if let k = keys, let warning = KeyFolder.permissionWarning(k, name: name) { Console.line(warning) }
        let compute = try await ModelCompute.make(config: c, configPath: config)
        let liveness = Liveness(lease: .milliseconds(Int64(lease * 1000)))
        let endpoint = try ZMQWorkerEndpoint(
            options: ZMQWorkerOptions(endpoint: connect, name: name, curve: curve, liveness: liveness))
        // Connecting does not wait for the server: whether it is there shows when it answers.
        Console.line("worker \(name): \(ids.count) clients, connecting to \(connect)\(curve == nil ? "" : " (CURVE)")")
        let host = try WorkerHost(
            name: name, endpoint: endpoint, config: c, compute: compute, clientIDs: ids,
            scatterOutput: out.map { URL(fileURLWithPath: $0, isDirectory: true) },
            log: { Console.line($0) })
        try await host.run()
        Console.line("worker \(name): done")
    }
}

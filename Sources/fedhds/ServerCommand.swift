import Actors
import ArgumentParser
import Foundation
import Transport

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run the federation server over ZeroMQ; workers on any machine connect to it.")

    @OptionGroup var options: ConfigOptions

    @Option(help: "Where to listen, e.g. tcp://*:5555.")
    var bind: String

    @Option(help: "Folder of CURVE keys (server.pub, server.secret, workers/<name>.pub); none = no CURVE.")
    var keys: String?

    @Option(help: "With --keys: make missing key pairs for these worker names (comma-separated) first.")
    var makeKeys: String?

    @Flag(help: "Continue from the checkpoint in the output folder.")
    var resume = false

    @Option(help: "Seconds to wait for workers to register every client.")
    var registrationTimeout: Double = 600

    func run() async throws {
        let c = try options.load(
            simulatedClock: "a server for real workers keeps wall-clock deadlines "
                + "(transport.feature_deadline, transport.train_deadline); run the scenario "
                + "with `fedhds run` or `fedhds cluster`")
        let out = options.outputFolder(c)
        Console.line(ConfigOptions.header("server", c, out: out))
        try RunOutput.prepare(folder: out, resume: resume, force: options.force)
        var curve: CurveServerOptions?
        if let k = keys {
            if let names = makeKeys { try KeyFolder.create(k, workers: names.split(separator: ",").map(String.init)) }
            curve = try KeyFolder.server(k)
            if let warning = KeyFolder.permissionWarning(k, name: "server") { Console.line(warning) }
        }
        let compute = try await ModelCompute.make(config: c, configPath: options.config)
        let endpoint = try ZMQServerEndpoint(options: ZMQServerOptions(endpoint: bind, curve: curve))
        Console.line(
            "server \(c.name): listening on \(endpoint.boundEndpoint)\(curve == nil ? "" : " (CURVE)"), waiting for \(c.clients) clients"
        )
        let output = try RunOutput(folder: out)
        let server = ServerActor(
            endpoint: endpoint, config: c,
            log: {
                output.log($0); Console.line($0)
            }, progress: Console.line)
        await server.start()
        var opts = RunOptions(output: out, resume: resume)
        opts.registrationTimeout = registrationTimeout
        let result = try await Coordinator.serve(
            config: c, server: server, compute: compute, output: output, options: opts)
        Summary.print(result, output: out)
    }
}

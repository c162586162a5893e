import Actors
import ArgumentParser
import Foundation

/// The `fedhds` command: federated data-efficient instruction tuning, and the tools it is made of.
@main
struct FedHDS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedhds",
        abstract: "Federated data-efficient instruction tuning of LLMs (FedHDS), as an actor-based simulator.",
        version: FedHDSVersion.line,
        subcommands: [
            RunCommand.self,
            EvalCommand.self,
            CompareCommand.self,
            ClusterCommand.self,
            ServerCommand.self,
            WorkerCommand.self,
            KeysCommand.self,
            TokenizeCommand.self,
            GenerateCommand.self,
            FeaturesCommand.self,
            TsneCommand.self,
            HdbscanCommand.self,
            TransportBenchCommand.self,
            TrainCommand.self,
            RougeCommand.self,
            DataCommand.self,
            StudyCommand.self
        ]
    )

    /// ArgumentParser's main, except that a `ValidationError` a subcommand throws while it runs
    /// prints that subcommand's usage (e.g. `fedhds generate ...`), not the top-level one.
    static func main() async {
        let command: ParsableCommand
        do { command = try await asyncParseAsRoot(nil) } catch { exit(withError: error) }
        do {
            if var c = command as? AsyncParsableCommand {
                try await c.run()
            } else {
                var c = command
                try c.run()
            }
        } catch let e as ValidationError where type(of: command) != FedHDS.self {
            FileHandle.standardError.write(Data(usageError(e.message, for: type(of: command)).utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch {
            exit(withError: error)
        }
    }

    /// "Error: …", the subcommand's usage and where its help is.
    static func usageError(_ message: String, for subcommand: ParsableCommand.Type) -> String {
        let name = subcommand.configuration.commandName ?? "\(subcommand)"
        return "Error: \(message)\nUsage: \(usageString(for: subcommand))\n"
            + "  See 'fedhds \(name) --help' for more information.\n"
    }
}

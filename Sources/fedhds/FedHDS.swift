import Actors
import ArgumentParser

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
            StudyCommand.self,
        ]
    )
}

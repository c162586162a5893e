import Actors
import ArgumentParser
import Data
import Foundation

/// `fedhds data stats`: what a federated partition of Dolly-15K or Natural Instructions looks like.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect the instruction datasets and their federated partitions.",
        subcommands: [Stats.self]
    )

    enum DatasetName: String, ExpressibleByArgument, CaseIterable {
        case dolly, ni
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per-client sample counts and category histograms of a partition.",
            discussion: """
                dolly: holds out --held-out (default 7, summarization) and spreads the other categories \
                over --clients by the Dirichlet label partition with --alpha (or --iid). ni: one client \
                per training task after the reference's filters (--clients caps the number of clients). \
                Data come from --data, else env FEDHDS_DATA, else the repository's data/ folder. The \
                partition is drawn from SplitMix64(--seed); --manifest writes it as JSON.
                """
        )

        @Option(name: .long, help: "dolly or ni.")
        var dataset: DatasetName

        @Option(name: .long, help: "Number of clients (dolly; for ni: at most this many).")
        var clients: Int?

        @Option(name: .long, help: "Dirichlet concentration (dolly).")
        var alpha: Double = 0.5

        @Flag(name: .long, help: "IID split instead of Dirichlet (dolly).")
        var iid = false

        @Option(name: .long, help: "Category code held out for evaluation (dolly; -1: none).")
        var heldOut: Int = 7

        @Option(name: .long, help: "Seed of the partition.")
        var seed: UInt64 = 42

        @Option(name: .long, help: "Data root (holding dolly/ and natural-instructions/), or a Dolly .jsonl file.")
        var data: String?

        @Option(name: .long, help: "Write the partition manifest (JSON) here.")
        var manifest: String?

        func run() throws {
            var generator = SeededGenerator(state: seed)
            let federated: FederatedDataset
            switch dataset {
            case .dolly:
                let path =
                    try data.map { $0.hasSuffix(".jsonl") ? $0 : try DataPaths.dollyFile(root: $0) }
                    ?? DataPaths.dollyFile()
                let dolly = try DollyLoader.load(path: path)
                federated = try DollyFederation.make(
                    dataset: dolly, clients: clients ?? 200,
                    split: iid ? .iid : .dirichlet(alpha: alpha),
                    heldOutCategory: heldOut < 0 ? nil : heldOut, seed: seed,
                    using: &generator)
            case .ni:
                var options = NIOptions()
                options.maxClients = clients
                let root = try DataPaths.naturalInstructionsRoot(root: data)
                let (made, report) = try NaturalInstructionsFederation.make(
                    root: root, options: options, seed: seed,
                    using: &generator)
                federated = made
                print(report)
            }
            try printStats(federated)
            if let manifest {
                try federated.partition.write(to: manifest)
                print("manifest: \(manifest)")
            }
        }

        func printStats(_ f: FederatedDataset) throws {
            let histograms = try f.categoryHistograms()
            let sizes = f.partition.clients.map(\.count)
            let categories = Array(Set(histograms.flatMap(\.keys))).sorted()
            let p = f.partition
            print(
                "dataset: \(p.dataset)  method: \(p.method)  seed: \(p.seed.map(String.init) ?? "-")  "
                    + p.parameters.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "  "))
            print(
                "clients: \(sizes.count)  training samples: \(sizes.reduce(0, +))  evaluation samples: \(p.evaluation.count)"
            )
            if let lo = sizes.min(), let hi = sizes.max() {
                let mean = Double(sizes.reduce(0, +)) / Double(sizes.count)
                let cats = Double(histograms.map(\.count).reduce(0, +)) / Double(histograms.count)
                print(
                    String(
                        format: "samples per client: min %d  max %d  mean %.2f;  categories per client: mean %.2f", lo,
                        hi, mean, cats))
            }
            if dataset == .dolly {
                print(
                    "columns: " + categories.enumerated().map { "c\($0.offset)=\($0.element)" }.joined(separator: " "))
                print(
                    ["client", "n"].joined(separator: "\t") + "\t"
                        + categories.indices.map { "c\($0)" }.joined(separator: "\t"))
                for (c, h) in histograms.enumerated() {
                    print(
                        "\(p.clientNames[c])\t\(sizes[c])\t"
                            + categories.map { String(h[$0] ?? 0) }.joined(separator: "\t"))
                }
            } else {
                print("client\tn\ttask")
                for (c, name) in p.clientNames.enumerated() { print("\(c)\t\(sizes[c])\t\(name)") }
            }
            var evalHistogram: [String: Int] = [:]
            for s in try f.evaluationSamples() { evalHistogram[s.category, default: 0] += 1 }
            if !evalHistogram.isEmpty {
                print(
                    "evaluation: "
                        + evalHistogram.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                            separator: " "))
            }
        }
    }
}

import Actors
import ArgumentParser
import Foundation

/// `fedhds compare RUN_DIR...`: a table and plots over runs, with paired bootstrap intervals.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare runs: Rouge-L mean ± sd over seeds, paired bootstrap intervals, data ratio and times.",
        discussion: """
            Groups the run folders by method and by the configuration keys that set them apart \
            (seeds pooled), and writes compare.md and compare.html into --out. A folder may be a \
            run's output or a `fedhds eval` output (the untuned model row). Pairwise intervals \
            pair the groups' predictions.jsonl by test sample id (each sample's Rouge-L averaged \
            over the group's seeds first); groups evaluated on different sample sets are refused.
            """)

    @Argument(help: "Run folders (each with result.json and config.toml; predictions.jsonl for intervals).")
    var runs: [String]

    @Option(help: "Folder for compare.md and compare.html.")
    var out = "runs/compare"

    @Option(help: "Bootstrap resamples.")
    var resamples = PairedBootstrap.defaultResamples

    @Option(help: "Bootstrap seed.")
    var bootstrapSeed = PairedBootstrap.defaultSeed

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run folder") }
        guard resamples >= 100 else { throw ValidationError("--resamples must be at least 100") }
    }

    func run() throws {
        let comparison = try Comparison.make(
            runs: runs.map { try ComparedRun.load($0) }, resamples: resamples, seed: bootstrapSeed)
        let dir = URL(fileURLWithPath: out, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(comparison.markdown().utf8).write(to: dir.appendingPathComponent("compare.md"))
            try Data(comparison.html().utf8).write(to: dir.appendingPathComponent("compare.html"))
        } catch { throw ValidationError("cannot write into \(out): \(error.localizedDescription)") }
        print(comparison.markdown())
        print(
            "written: \(dir.appendingPathComponent("compare.md").path), \(dir.appendingPathComponent("compare.html").path)"
        )
    }
}

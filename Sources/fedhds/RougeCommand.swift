import ArgumentParser
import Data
import Foundation

/// `fedhds rouge --pairs FILE.jsonl`: Rouge-L F (as the Python package rouge 1.0.1) of each line.
struct RougeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rouge",
        abstract: "Rouge-L F-measure of hypothesis/reference pairs, exactly as Python's rouge 1.0.1.",
        discussion: """
            Each line of the pairs file is a JSON object with string fields "hyp" and "ref". Prints the \
            mean over lines and writes one {"line": N, "f": SCORE} per pair to --out (default: the \
            pairs file with .scores.jsonl in place of .jsonl). An empty hypothesis or reference (or one \
            of only dots) scores 0, as the FedHDS evaluation scores the package's ValueError.
            """
    )

    @Option(name: .long, help: "JSONL file of {\"hyp\": ..., \"ref\": ...} lines.")
    var pairs: String

    @Option(name: .long, help: "Where to write the per-line scores (JSONL).")
    var out: String?

    func run() throws {
        let items = try RougePairsFile.load(path: pairs)
        guard !items.isEmpty else { throw ValidationError("\(pairs) holds no pairs: nothing to score") }
        var lines: [String] = []
        lines.reserveCapacity(items.count)
        var sum = 0.0
        for item in items {
            let f = RougeL.score(hypothesis: item.hyp, reference: item.ref)
            sum += f
            lines.append("{\"line\": \(item.line), \"f\": \(f)}")
        }
        let mean = sum / Double(items.count)
        let outPath = out ?? (pairs.hasSuffix(".jsonl") ? String(pairs.dropLast(6)) : pairs) + ".scores.jsonl"
        do {
            try Data((lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")).utf8).write(
                to: URL(fileURLWithPath: outPath))
        } catch {
            throw ValidationError("cannot write \(outPath): \(error.localizedDescription)")
        }
        print("pairs: \(items.count)")
        print("rouge-l f mean: \(mean)")
        print("per-line scores: \(outPath)")
    }
}

import Actors
import ArgumentParser
import Foundation
import Selection

/// `fedhds tsne`: t-SNE of the rows of a .npy matrix, as a FedHDS client fuses its features.
struct TsneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsne",
        abstract:
            "Embed the rows of a .npy matrix with Barnes-Hut t-SNE (scikit-learn's defaults); prints the final KL divergence."
    )

    @Option(help: "Input .npy (2-D float32 or float64, one row per sample).")
    var input: String
    @Option(help: "Output .npy (float64, n x components).")
    var out: String
    @Option(help: "Perplexity (default min(30, n - 1)).")
    var perplexity: Double?
    @Option(help: "Seed (used by the random initialisation only).")
    var seed: UInt64 = 0
    @Option(help: "Output dimensions.")
    var components: Int = 2
    @Flag(help: "Use the exact gradient instead of Barnes-Hut.")
    var exact = false
    @Option(help: "Barnes-Hut angle.")
    var angle: Double = 0.5

    func run() throws {
        try OutputFile.checkFolder(of: out)
        let file = try NPYFile.read(URL(fileURLWithPath: input))
        // Identical rows have no neighbourhoods to keep (scikit-learn divides by zero on them): say so
        // instead of printing a meaningless KL.
        if file.rows > 1, file.cols > 0,
            (1..<file.rows).allSatisfy({ r in
                (0..<file.cols).allSatisfy { file.values[r * file.cols + $0] == file.values[$0] }
            })
        {
            throw ValidationError("\(input): all \(file.rows) rows are identical; t-SNE is undefined for them")
        }
        let x = try Matrix(rows: file.rows, cols: file.cols, values: file.values)
        var rng = SeededGenerator(state: seed)
        let tsne = TSNE(
            components: components, perplexity: perplexity, method: exact ? .exact : .barnesHut, angle: angle)
        let start = Date()
        let result = try tsne.fit(x, using: &rng)
        let seconds = Date().timeIntervalSince(start)
        try NPYFile(rows: result.embedding.rows, cols: result.embedding.cols, values: result.embedding.values)
            .write(to: URL(fileURLWithPath: out))
        print("KL divergence after \(result.iterations) iterations: \(result.klDivergence)")
        print(String(format: "t-SNE time: %.3f s (n = %d, %d columns)", seconds, x.rows, x.cols))
    }
}

import ArgumentParser
import Foundation
import Selection

/// `fedhds hdbscan`: HDBSCAN of the rows of a .npy matrix, written as JSON.
struct HdbscanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hdbscan",
        abstract:
            "Cluster the rows of a .npy matrix with HDBSCAN (as the hdbscan library, EOM); writes labels, probabilities and weighted centroids as JSON."
    )

    @Option(help: "Input .npy (2-D float32 or float64).")
    var input: String
    @Option(help: "Minimum cluster size (>= 2).")
    var minClusterSize: Int
    @Option(help: "min_samples (default: the minimum cluster size).")
    var minSamples: Int?
    @Flag(help: "Allow a single cluster covering everything.")
    var allowSingleCluster = false
    @Option(help: "Output JSON file.")
    var out: String

    struct Output: Encodable {
        let labels: [Int]
        let probabilities: [Double]
        let centroids: [[Double]]
        let clusterCount: Int
    }

    func run() throws {
        try OutputFile.checkFolder(of: out)
        let file = try NPYFile.read(URL(fileURLWithPath: input))
        let x = try Matrix(rows: file.rows, cols: file.cols, values: file.values)
        let start = Date()
        let r = try HDBSCAN(
            minClusterSize: minClusterSize, minSamples: minSamples,
            allowSingleCluster: allowSingleCluster
        ).fit(x)
        let seconds = Date().timeIntervalSince(start)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try OutputFile.write(
            try encoder.encode(
                Output(
                    labels: r.labels, probabilities: r.probabilities, centroids: r.centroids,
                    clusterCount: r.clusterCount)), to: out)
        print("\(r.clusterCount) clusters, \(r.labels.filter { $0 < 0 }.count) noise points of \(r.labels.count)")
        print(String(format: "HDBSCAN time: %.3f s", seconds))
    }
}

import Foundation

/// One client's fused 2-D points of one round with its cluster labels and chosen samples, kept
/// for the report's t-SNE scatter (written by the client's worker into the run folder, for the first
/// `keep` clients that cluster).
public struct Scatter: Sendable, Codable, Equatable {
    public var round: Int
    public var client: Int
    /// Row-major n x 2.
    public var points: [Float]
    public var labels: [Int]
    public var chosen: [Int]

    public static func folder(_ output: URL) -> URL { output.appendingPathComponent("scatter", isDirectory: true) }

    /// At most this many scatters are kept per run (the report draws the first few clients that
    /// clustered; a paper-scale run would otherwise keep one file per client round).
    public static let keep = 6

    /// Writes this scatter unless the run folder already keeps `keep` of them.
    public func write(into output: URL) throws {
        let folder = Scatter.folder(output)
        let held = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.filter { $0.hasSuffix(".json") }
        if let held, held.count >= Scatter.keep { return }
        let url = folder.appendingPathComponent("round-\(round)-client-\(client).json")
        try AtomicFile.write(try RunOutput.jsonEncoder().encode(self), to: url)
    }

    public static func readAll(from output: URL) -> [Scatter] {
        let dir = folder(output)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
        return names.compactMap {
            try? JSONDecoder().decode(Scatter.self, from: Data(contentsOf: dir.appendingPathComponent($0)))
        }
    }
}

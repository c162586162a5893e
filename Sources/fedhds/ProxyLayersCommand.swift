import Actors
import ArgumentParser
import Data
import Foundation
import Model
import Selection

/// `fedhds study proxy-layers`: what the -Turbo layer proxy of K blocks costs and keeps, on real
/// clients of the paper's Dolly partition. For each K: feature time per 1,000 tokens relative to
/// the full model (timed in the same process, interleaved), and per client the fused (2-D t-SNE,
/// as the client runs it) features' Calinski-Harabasz index against the Dolly categories, next to
/// the full model's; the agreement of HDBSCAN's clusters (adjusted Rand index) and of the samples
/// nearest each cluster's centroid (Jaccard) with the full model's, beside the Jaccard of as many
/// picks drawn at random (chance).
struct ProxyLayersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy-layers",
        abstract:
            "Cost and quality of the -Turbo layer proxy (first K layers) against the full feature model, as Markdown.")

    @OptionGroup var source: StudySource

    @Option(help: "Dirichlet alpha of the partition.")
    var alpha = 0.5

    @Option(help: "Proxy depths K, comma-separated (the full model is always added).")
    var layers = "2,4,8,15"

    @Option(
        help:
            "Clients studied: the first clients (by index) with at least --min-samples samples of 2 or more categories."
    )
    var clients = 6

    @Option(help: "Smallest client studied.")
    var minSamples = 25

    @Option(help: "Largest client studied, in tokens.")
    var maxClientTokens = 12_000

    @Option(help: "Tokens timed per model (whole samples of the studied clients).")
    var timingTokens = 3000

    func run() async throws {
        let (model, data, seed) = (source.model, source.data, source.seed)
        let path = try StudyCommand.modelPath(model)
        let config = try StudyCommand.paperConfig(model: path, data: data, alpha: alpha, seed: seed, precision: nil)
        let compute = try await ModelCompute.make(config: config)
        let decoder = compute.base.decoder, c = decoder.config, d = c.hiddenSize, L = c.layerCount
        let ks = try StudyCommand.list(layers, name: "--layers").filter { $0 < L } + [L]
        guard ks.allSatisfy({ $0 <= L }) else { throw ValidationError("--layers: the model has \(L) layers") }

        // The clients.
        var chosen: [(client: Int, seqs: [TokenizedSample], categories: [String])] = []
        for client in 0..<compute.clientCount where chosen.count < clients {
            let s = try compute.clientSequences(client), cats = try compute.clientCategories(client)
            if s.count >= minSamples, Set(cats).count >= 2, s.map(\.inputIDs.count).reduce(0, +) <= maxClientTokens {
                chosen.append((client, s, cats))
            }
        }
        guard !chosen.isEmpty else {
            throw ValidationError("no client of the partition fits --min-samples / --max-client-tokens")
        }

        // Timing, interleaved: full, then each K, twice.
        var timed: [[Int]] = [], timedTokens = 0
        for s in chosen.flatMap(\.seqs) where timedTokens < timingTokens {
            timed.append(s.inputIDs); timedTokens += s.inputIDs.count
        }
        _ = try decoder.lastTokenFeatures(Array(timed.prefix(2)))
        var seconds = [Int: Double]()
        for _ in 0..<2 {
            for k in ks {
                seconds[k, default: 0] += try StudyCommand.seconds {
                    _ = try decoder.lastTokenFeatures(timed, layers: k)
                }
            }
        }

        // Quality per client: the proxy's features are the full features' first (K+1)*d values
        // (tested), so the full pass runs once and K slices it.
        struct Row {
            var ch = [Double](), chRatio = [Double](), ari = [Double](), jaccard = [Double](), clusters = [Double](),
                noise = [Double]()
        }
        var rows = [Int: Row](), chance = [Double]()
        for (client, seqs, cats) in chosen {
            let full = try decoder.lastTokenFeatures(seqs.map(\.inputIDs))
            let n = seqs.count
            let catIndex = Dictionary(Set(cats).sorted().enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            let labels = cats.map { catIndex[$0]! }
            func cluster(_ k: Int, round: Int) throws -> ClientClustering {
                let width = (k + 1) * d
                let x = try Matrix(rows: n, cols: width, floats: full.flatMap { $0.prefix(width) })
                var rng = SeededGenerator(seed: seed, round: round, client: client, purpose: .tsne)
                return try FedHDSIntraClient(
                    minClusterSize: config.effectiveMinClusterSize,
                    fusion: .tsne(
                        TSNE(
                            components: 2, perplexity: min(config.tsnePerplexity, Double(n - 1)),
                            maxIterations: config.tsneIterations))
                )
                .run(features: x, using: &rng)
            }
            let reference = try cluster(L, round: 1)
            let referenceCH = try ClusterScores.calinskiHarabasz(reference.fused, labels: labels)
            let referencePicks = Self.picks(reference)
            func add(_ r: inout Row, _ cl: ClientClustering) throws {
                let ch = try ClusterScores.calinskiHarabasz(cl.fused, labels: labels)
                r.ch.append(ch)
                r.chRatio.append(ch / referenceCH)
                r.ari.append(Self.adjustedRand(cl.labels, reference.labels))
                r.jaccard.append(Self.jaccard(Self.picks(cl), referencePicks))
                r.clusters.append(Double(cl.clusterCount))
                r.noise.append(Double(cl.labels.filter { $0 < 0 }.count) / Double(n))
            }
            for k in ks { try add(&rows[k, default: Row()], k == L ? reference : try cluster(k, round: 1)) }
            var rng = SeededGenerator(seed: seed, round: 0, client: client, purpose: .other)
            let draws = (0..<200).map { _ in
                Self.jaccard(Set(Array(0..<n).shuffled(using: &rng).prefix(referencePicks.count)), referencePicks)
            }
            chance.append(draws.reduce(0, +) / Double(draws.count))
        }

        func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
        let sizes = chosen.map(\.seqs.count)
        print(
            "Clients \(chosen.map { String($0.client) }.joined(separator: ", ")) of the Dolly partition (200 clients, alpha \(alpha), seed \(seed)): "
                + "\(sizes.reduce(0, +)) samples (\(sizes.min()!)-\(sizes.max()!) a client), \(timedTokens) tokens timed per model; "
                + "\(compute.base.name), \(decoder.effectivePrecision.rawValue); \(Provenance.cpuModel()); \(StudyCommand.loadLine()) at the end (timings under this load)."
        )
        print("")
        print(
            "| K (layers) | feature width | s / 1,000 tokens | time vs full | CH vs categories | CH / full CH | ARI vs full | selection Jaccard vs full | clusters | noise |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        let full = seconds[L]!
        func line(_ name: String, _ width: Int, _ s: Double?, _ r: Row) -> String {
            let time =
                s.map { String(format: "%.3f | %.2f", $0 / 2 / Double(timedTokens) * 1000, $0 / full) } ?? "- | -"
            return String(
                format: "| %@ | %d | %@ | %.1f | %.2f | %.2f | %.2f | %.1f | %.2f |", name, width, time, mean(r.ch),
                mean(r.chRatio),
                mean(r.ari), mean(r.jaccard), mean(r.clusters), mean(r.noise))
        }
        for k in ks { print(line(k == L ? "\(k) (full)" : "\(k)", (k + 1) * d, seconds[k], rows[k]!)) }
        print(
            String(format: "| chance: as many picks at random | - | - | - | - | - | - | %.2f | - | - |", mean(chance)))
        print("")
        print("Per client, Calinski-Harabasz of the fused features against the categories:")
        print("")
        print("| client | samples | categories | " + ks.map { "K = \($0)" }.joined(separator: " | ") + " |")
        print("|" + String(repeating: " --- |", count: ks.count + 3))
        for (i, ch) in chosen.enumerated() {
            let values = ks.map { String(format: "%.1f", rows[$0]!.ch[i]) }
            print(
                "| \(ch.client) | \(ch.seqs.count) | \(Set(ch.categories).count) | " + values.joined(separator: " | ")
                    + " |")
        }
    }

    /// The sample nearest each cluster's weighted centroid, among the cluster's members (Eq. 10).
    static func picks(_ c: ClientClustering) -> Set<Int> {
        var out = Set<Int>()
        for j in 0..<c.clusterCount {
            let members = c.labels.indices.filter { c.labels[$0] == j }
            if let i = c.nearestSample(to: c.centroids[j], among: members) { out.insert(i) }
        }
        return out
    }

    static func jaccard(_ a: Set<Int>, _ b: Set<Int>) -> Double {
        a.isEmpty && b.isEmpty ? 1 : Double(a.intersection(b).count) / Double(a.union(b).count)
    }

    /// Adjusted Rand index of two labelings (noise, -1, counts as one more label).
    static func adjustedRand(_ a: [Int], _ b: [Int]) -> Double {
        func pairs(_ x: Int) -> Double { Double(x) * Double(x - 1) / 2 }
        var table = [[Int]: Int](), rowSums = [Int: Int](), colSums = [Int: Int]()
        for (x, y) in zip(a, b) {
            table[[x, y], default: 0] += 1; rowSums[x, default: 0] += 1; colSums[y, default: 0] += 1
        }
        let index = table.values.map(pairs).reduce(0, +)
        let ra = rowSums.values.map(pairs).reduce(0, +), cb = colSums.values.map(pairs).reduce(0, +)
        let expected = ra * cb / pairs(a.count)
        let maxIndex = (ra + cb) / 2
        return maxIndex == expected ? 1 : (index - expected) / (maxIndex - expected)
    }
}

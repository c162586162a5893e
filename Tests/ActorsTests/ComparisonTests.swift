import Foundation
import Testing
@testable import Actors

/// `fedhds compare` on synthetic run folders: grouping by method and variant, mean ± sd over
/// seeds, per-sample pairing by id, refusal of different sample sets, step times, the files.
@Suite struct ComparisonTests {
    static func folder(
        _ root: String, _ name: String, method: Method = .fedhds, seed: UInt64, defect: Bool = false,
        evalOnly: String? = nil, scores: [Int: Double], reported: Double? = nil,
        featureSeconds: Double = 2, shuffle: Bool = false
    ) throws -> String {
        let dir = root + "/" + name
        let out = try RunOutput(folder: dir)
        var c = RunConfig()
        c.name = name
        c.method = method
        c.seed = seed
        c.rounds = 2
        c.selectionMode = defect ? .referencePairing : .paper
        try out.writeConfig(c, ran: Provenance.start(config: c))
        var preds = scores.keys.sorted().map {
            Prediction(
                id: $0, category: "summarization", prediction: "p\($0)", reference: "r\($0)", rougeL: scores[$0]!)
        }
        if shuffle { preds.reverse() }
        try PredictionsFile.write(preds, to: out.predictionsURL(round: 0, final: true))
        let mean = EvaluationOutcome(predictions: preds).score
        if let evalOnly {
            try out.writeResult(
                RunResult.evaluation(
                    name: name, method: evalOnly, rougeL: reported ?? mean, evaluated: preds.count,
                    seconds: 5, evaluations: ["0": mean], adapterPath: "", adapterSHA: "",
                    provenance: Provenance.start(config: c)))
            return dir
        }
        var metrics: [RoundMetrics] = []
        for r in 1...2 {
            var m = RoundMetrics(round: r)
            var t = RoundMetrics.ClientTimes()
            t.features = featureSeconds; t.fusion = 1; t.intraClustering = 0.5; t.training = 4
            m.clientTimes = ["0": t, "1": t]
            m.interClustering = 0.25
            m.dataRatio = 0.01
            metrics.append(m)
        }
        try out.writeMetrics(metrics)
        try out.writeResult(
            RunResult(
                name: name, method: method.rawValue, rounds: 2, rougeLBefore: 0.1, rougeL: reported ?? mean,
                dataRatio: 0.01, totalSeconds: 100, secondsPerClientRound: 7.5,
                evaluations: ["0": 0.1, "1": 0.15, "2": mean], adapterPath: "", adapterSHA: "",
                privacy: nil, evaluated: preds.count, provenance: nil))
        return dir
    }

    static func root() -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fedhds-compare-\(UUID().uuidString.prefix(8))"
        ).path
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test func groupsSeedsAndPairsBySample() throws {
        let root = Self.root()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a1 = try Self.folder(root, "hds-1", seed: 1, scores: [10: 0.30, 20: 0.20, 30: 0.40])
        let a2 = try Self.folder(
            root, "hds-2", seed: 2, scores: [10: 0.50, 20: 0.20, 30: 0.20], featureSeconds: 4, shuffle: true)
        let d1 = try Self.folder(root, "defect-1", seed: 1, defect: true, scores: [10: 0.10, 20: 0.10, 30: 0.10])
        let r1 = try Self.folder(root, "random-1", method: .random, seed: 1, scores: [10: 0.2, 20: 0.1, 30: 0.3])
        let u = try Self.folder(root, "untuned", seed: 1, evalOnly: "untuned", scores: [10: 0.05, 20: 0.0, 30: 0.1])
        let cmp = try Comparison.make(runs: [a1, r1, a2, d1, u].map { try ComparedRun.load($0) }, resamples: 2000)
        #expect(
            cmp.groups.map(\.label) == [
                "fedhds [selection.mode=\"paper\"]", "random",
                "fedhds [selection.mode=\"reference-pairing\"]", "untuned"
            ])
        let hds = cmp.groups[0]
        #expect(hds.runs.count == 2 && hds.seeds == [1, 2])
        #expect(abs(hds.mean - 0.3) < 1e-12)  // runs 0.3 and 0.3
        #expect(abs(hds.sd! - 0) < 1e-12)
        #expect(cmp.groups[1].sd == nil)
        // Per sample: averaged over seeds, matched by id (the second file is in reverse order).
        #expect(
            abs(hds.perSample![10]! - 0.4) < 1e-12 && abs(hds.perSample![20]! - 0.2) < 1e-12
                && abs(hds.perSample![30]! - 0.3) < 1e-12)
        // Step times: mean over the 8 client rounds; features 2 and 4 seconds.
        #expect(
            hds.steps.map(\.name) == [
                "features", "fusion", "clustering", "selection", "training",
                "inter-client clustering (server, per round)"
            ])
        #expect(
            abs(hds.steps[0].seconds - 3) < 1e-12 && abs(hds.steps[4].seconds - 4) < 1e-12
                && abs(hds.steps[5].seconds - 0.25) < 1e-12)
        #expect(hds.roundsRun == [2, 2] && cmp.groups[3].roundsRun == [0])
        #expect(cmp.groups[3].dataRatio.isNaN && cmp.groups[3].steps.allSatisfy { $0.seconds.isNaN })  // an eval folder: shown as "-"
        #expect(abs(hds.rougeByRound[1]! - 0.15) < 1e-12)
        // fedhds - random: per-sample differences 0.2, 0.1, 0.0: mean 0.1; every resample lies in [0, 0.2].
        let p = try #require(cmp.pairs.first { $0.a == 0 && $0.b == 1 })
        #expect(p.samples == 3 && abs(p.interval.mean - 0.1) < 1e-12)
        #expect(p.interval.lower >= 0 && p.interval.upper <= 0.2 + 1e-12 && p.interval.lower < p.interval.upper)
        #expect(cmp.pairs.count == 6)
        #expect(cmp.notes.isEmpty, "\(cmp.notes)")

        let md = cmp.markdown()
        #expect(md.contains("| random | 1 | 1 | 3 | 0.2000 |"))
        #expect(md.contains("| fedhds [selection.mode=\"paper\"] | 2 | 1, 2 | 3 | 0.3000 ± 0.0000 |"))
        #expect(md.contains("| fedhds [selection.mode=\"paper\"] | random | 3 | 0.1000 |"))
        let html = cmp.html()
        for title in [
            ">Rouge-L F</text>", "bar: 95% bootstrap interval", "round (0 = untuned model)", "seconds per client round",
            "<table>"
        ] {
            #expect(html.contains(title), "compare.html lacks \(title)")
        }
        #expect(!html.contains("nan") && !html.contains("inf"))
    }

    @Test func refusesToPairDifferentSampleSets() throws {
        let root = Self.root()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = try Self.folder(root, "a", seed: 1, scores: [1: 0.3, 2: 0.2])
        let b = try Self.folder(root, "b", method: .random, seed: 1, scores: [1: 0.3, 3: 0.2])
        #expect {
            _ = try Comparison.make(runs: [a, b].map { try ComparedRun.load($0) }, resamples: 200)
        } throws: { "\($0)".contains("different sample sets") }
        // Within a group, too.
        let c = try Self.folder(root, "c", seed: 2, scores: [1: 0.3, 3: 0.2])
        #expect {
            _ = try Comparison.make(runs: [a, c].map { try ComparedRun.load($0) }, resamples: 200)
        } throws: { "\($0)".contains("different sample sets") }
    }

    @Test func notesAResultThatItsPredictionsDoNotAverageTo() throws {
        let root = Self.root()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = try Self.folder(root, "a", seed: 1, scores: [1: 0.3, 2: 0.2], reported: 0.26)
        let cmp = try Comparison.make(runs: [try ComparedRun.load(a)], resamples: 200)
        #expect(cmp.notes.count == 1 && cmp.notes[0].contains("averages"))
    }

    @Test func constantSeriesGetASensibleAxis() {
        let a = PlotAxis(0.02, 0.02)
        #expect(a.lo >= 0 && a.lo < 0.02 && a.hi > 0.02 && a.hi < 0.1)
        let b = PlotAxis(0.1234, 0.3011)
        #expect(b.lo <= 0.1234 && b.hi >= 0.3011 && b.ticks.count >= 3 && b.ticks.count <= 12)
        #expect(PlotAxis(0, 40, integer: true).ticks.allSatisfy { $0 == $0.rounded() })
    }
}

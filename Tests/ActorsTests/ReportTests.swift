import Foundation
import Testing
@testable import Actors

@Suite struct ReportTests {
    static func metrics(rounds: Int = 3) -> [RoundMetrics] {
        (1...rounds).map { r in
            var m = RoundMetrics(round: r)
            m.participants = [0, 1]
            m.responders = [0, 1]
            m.trainLoss = 3.0 - Double(r) * 0.5
            m.dataRatio = 0.02
            var t = RoundMetrics.ClientTimes()
            t.features = 2; t.fusion = 1; t.training = 4
            m.clientTimes = ["0": t]
            m.bytes = ["roundStart.sent": 2_000_000 * r, "update.received": 1_500_000]
            return m
        }
    }

    static func config() -> RunConfig {
        var c = RunConfig()
        (c.modelKind, c.learningRate, c.precision, c.seed) = (.tiny, 5e-4, .float32, 7)
        return c
    }

    /// SVG texts of one chart section (between its h2 and the next h2).
    static func section(_ html: String, _ title: String) -> String {
        guard let start = html.range(of: "<h2>" + title) else { return "" }
        let rest = html[start.upperBound...]
        return String(rest[..<(rest.range(of: "<h2>")?.lowerBound ?? rest.endIndex)])
    }

    @Test func reportDrawsLossRougeRatioBytesTimesAndScatter() {
        let scatter = Scatter(round: 1, client: 0, points: [0, 0, 1, 1, 2, 0], labels: [0, 0, -1], chosen: [1])
        let html = Report.html(
            config: Self.config(), metrics: Self.metrics(), evaluations: ["0": 0.1, "3": 0.2],
            result: nil,
            scatters: [scatter])
        // Lines: train loss, data ratio and the two message types' bytes; Rouge-L is points only.
        #expect(html.components(separatedBy: "<polyline").count - 1 == 4)
        #expect(!Self.section(html, "Rouge-L").contains("<polyline"))
        #expect(Self.section(html, "Rouge-L").components(separatedBy: "class=\"point\"").count - 1 == 2)
        #expect(html.contains("client 0, round 1") && html.contains("3 samples, 1 cluster, 1 noise, 1 chosen"))
        #expect(html.contains("class=\"chosen\"") && html.contains("class=\"noise\""))  // ringed, and marked
        #expect(html.contains("training"))
        #expect(html.contains(">4 s<"))  // mean training seconds per client round
        for bad in ["=\"nan", ">nan", "nan,", "inf\""] { #expect(!html.contains(bad), "\(bad)") }
    }

    @Test func axesHaveTitlesUnitsAndReadableTicks() {
        let html = Report.html(
            config: Self.config(), metrics: Self.metrics(), evaluations: ["0": 0.1, "3": 0.2],
            result: nil,
            scatters: [])
        for title in [
            "round", "cross-entropy (nats per token)", "Rouge-L F (0 to 1)", "selected / local samples",
            "MB"
        ] {
            #expect(html.contains("class=\"axis-title\"") && html.contains(">\(title)</text>"), "\(title)")
        }
        // The constant data ratio (0.02) gets a range around it, not -0.48...0.52, and ticks that differ.
        let ratio = Self.section(html, "Data ratio")
        let ticks = ratio.components(separatedBy: "class=\"tick\"").dropFirst().compactMap { part -> String? in
            guard let gt = part.firstIndex(of: ">"), let lt = part.firstIndex(of: "<"),
                part[..<gt].contains("text-anchor=\"end\"")
            else { return nil }  // the y axis's ticks
            return String(part[part.index(after: gt)..<lt])
        }
        let values = ticks.compactMap(Double.init)
        #expect(values.count >= 5 && Set(ticks).count == ticks.count, "\(ticks)")
        #expect(values.allSatisfy { $0 >= 0 && $0 < 0.05 }, "\(ticks)")
        // Rounds tick on whole numbers; the bytes axis is in MB with the types in the legend.
        #expect(ratio.contains(">1</text>") && ratio.contains(">3</text>") && !ratio.contains(">1.5</text>"))
        let bytes = Self.section(html, "Bytes per round")
        #expect(bytes.contains(">roundStart sent</text>") && bytes.contains(">update received</text>"))
        #expect(
            PlotAxis(0, 1).label(0.2) == "0.2" && PlotAxis(0, 0.2).label(0.05) == "0.05"
                && PlotAxis(
                    -1,
                    1
                ).label(-0.0) == "0.0")
    }

    @Test func aSimulatedRunIsPlottedAgainstSimulatedTimeToo() throws {
        let plain = Report.html(
            config: Self.config(), metrics: Self.metrics(), evaluations: ["0": 0.1, "3": 0.2],
            result: nil, scatters: [])
        #expect(!plain.contains("On the simulated clock"))
        // Rounds ending at 2, 4 and 6 hours of simulated time.
        var metrics = Self.metrics()
        let record = try MetricsTableTests.simulatedRound().simulated!
        for i in metrics.indices {
            var r = record
            (r.round, r.start, r.end) = (i + 1, Double(i) * 7200, Double(i + 1) * 7200)
            metrics[i].simulated = r
        }
        let html = Report.html(
            config: Self.config(), metrics: metrics, evaluations: ["0": 0.1, "3": 0.2],
            result: nil, scatters: [])
        let section = Self.section(html, "On the simulated clock")
        #expect(section.contains("simulated time (hours)") && section.contains("in hours"))
        // Rouge-L at 0 h (untuned) and at 6 h (round 3), and the train loss at 2, 4 and 6 h.
        #expect(section.contains("<title>Rouge-L: 0, 0.1</title>"))
        #expect(section.contains("<title>Rouge-L: 6, 0.2</title>"))
        #expect(section.contains("<title>train loss: 2, 2.5</title>"))
        #expect(section.contains("<title>train loss: 6, 1.5</title>"))
        let row = ["3", "14400.0", "21600.0", "2", "2", "1", "1", "0", "0"].map { "<td>\($0)</td>" }.joined()
        #expect(section.contains(row))
    }

    @Test func headerNamesModelLearningRatePrecisionAndSeed() {
        let html = Report.html(
            config: Self.config(), metrics: Self.metrics(), evaluations: [:], result: nil,
            scatters: [])
        #expect(html.contains("model <b>tiny random model (built in"))
        #expect(html.contains("learning rate 0.0005, precision fp32, seed 7"))
        #expect(html.contains("3 of 40 rounds"))
        var one = Self.config()
        one.rounds = 1
        #expect(
            Report.html(config: one, metrics: Self.metrics(rounds: 1), evaluations: [:], result: nil, scatters: [])
                .contains("1 of 1 round<"))
    }

    @Test func severalClientsShareOneLegend() {
        let scatters =
            (0..<4).map { c in
                Scatter(
                    round: 1 + c % 2, client: c, points: [0, 0, 1, 1, 2, 0, 3, 3], labels: [0, 1, -1, 1],
                    chosen: [
                        0,
                        1
                    ])
            } + [Scatter(round: 3, client: 0, points: [0, 0], labels: [0], chosen: [])]  // a later round of client 0
        let html = Report.html(
            config: Self.config(), metrics: Self.metrics(), evaluations: [:], result: nil,
            scatters: scatters)
        #expect(html.contains("Fused features (t-SNE) of 4 clients"))
        #expect(html.components(separatedBy: "class=\"scatter\"").count - 1 == 4)
        #expect(html.contains(">noise (no cluster)</text>") && html.contains(">chosen for training</text>"))
        #expect(!html.contains("client 0, round 3"))
    }

    @Test func aRequestedTestLossThatIsMissingIsSaid() {
        var c = Self.config()
        c.testLoss = true
        let missing = Report.html(config: c, metrics: Self.metrics(), evaluations: [:], result: nil, scatters: [])
        #expect(missing.contains("class=\"warning\">Test loss was requested"))
        var ms = Self.metrics()
        ms[1].testLoss = 2.5
        let present = Report.html(config: c, metrics: ms, evaluations: [:], result: nil, scatters: [])
        #expect(!present.contains("class=\"warning\"") && present.contains(">test loss (held out)</text>"))
    }

    @Test func aRunKeepsTheFirstFewScatters() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scatter-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        for c in 0..<(Scatter.keep + 3) {
            try Scatter(
                round: 1, client: c, points: [0, 0], labels: [0],
                chosen: [0]
            ).write(into: dir)
        }
        #expect(Scatter.readAll(from: dir).map(\.client).sorted() == Array(0..<Scatter.keep))
    }

    @Test func wordingCountsInTheSingular() {
        #expect(Wording.count(1, "round") == "1 round" && Wording.count(3, "round") == "3 rounds")
        #expect(Wording.count(0, "client") == "0 clients")
    }
}

import Foundation
import Testing
@testable import Actors

/// report.html in a real browser: scripts/report-screenshot.sh --check renders it in headless
/// Chromium and asserts on the laid-out page (charts with both axis titles and separate tick
/// labels, text inside its chart, a header naming model, learning rate, precision and seed, a
/// non-blank screenshot); a page that lost its axes fails the same check. Runs where Chromium is
/// installed (the script installs it: `bash scripts/report-screenshot.sh --check FILE`).
@Suite(.serialized) struct ReportBrowserTests {
    static var chromium: Bool {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].contains {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    static func check(_ html: String, in dir: String) async throws -> (Int32, String) {
        try html.write(toFile: dir + "/report.html", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [
            Harness.root.appendingPathComponent("scripts/report-screenshot.sh").path, "--check",
            dir + "/report.html", dir + "/report.png"
        ]
        let log = dir + "/check.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        (p.standardOutput, p.standardError) = (h, h)
        try p.run()
        while p.isRunning { try await Task.sleep(nanoseconds: 100_000_000) }
        return (p.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    static func run() -> (RunConfig, [RoundMetrics], [Scatter]) {
        var c = RunConfig()
        (c.modelKind, c.learningRate, c.rounds, c.clients, c.participation) = (.tiny, 5e-4, 5, 20, 0.15)
        var metrics: [RoundMetrics] = []
        for r in 1...5 {
            var m = RoundMetrics(round: r)
            m.participants = [r, r + 5, r + 10]
            m.responders = m.participants
            m.trainLoss = 2.6 - 0.1 * Double(r) + (r % 2 == 0 ? 0.15 : 0)
            m.dataRatio = 0.031
            var t = RoundMetrics.ClientTimes()
            (t.features, t.fusion, t.intraClustering, t.selection, t.training) = (3.2, 0.8, 0.05, 0.01, 6.5)
            m.clientTimes = Dictionary(uniqueKeysWithValues: m.participants.map { (String($0), t) })
            m.bytes = [
                "roundStart.sent": 9_769_103, "update.received": 6_838_474 + 1000 * r,
                "centroids.received": 12_000
            ]
            m.rougeL = r == 5 || r == 3 ? 0.29 + 0.01 * Double(r) : nil
            metrics.append(m)
        }
        var g = SeededGenerator(seed: 1, round: 0, client: 0, purpose: .shuffle)
        let scatters = (0..<4).map { client in
            let n = 30
            let labels = (0..<n).map { $0 % 7 == 6 ? -1 : $0 % 3 }
            let points = labels.flatMap { l -> [Float] in
                [
                    Float(l * 6) + Float.random(in: -2...2, using: &g),
                    Float(l % 2 * 5)
                        + Float.random(
                            in: -2...2,
                            using: &g)
                ]
            }
            return Scatter(
                round: 1 + client / 2, client: client * 5 + 1, points: points, labels: labels,
                chosen: [
                    0,
                    1, 2
                ])
        }
        return (c, metrics, scatters)
    }

    @Test(.enabled(if: chromium)) func theReportRendersWithAxesLegendsAndHeader() async throws {
        let dir = Harness.tempDir("report-browser")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (c, metrics, scatters) = Self.run()
        let html = Report.html(
            config: c, metrics: metrics, evaluations: ["0": 0.27, "3": 0.32, "5": 0.34], result: nil,
            scatters: scatters)
        let (status, output) = try await Self.check(html, in: dir)
        #expect(status == 0, "\(output)")
        let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("{") }, "\(output)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(summary["charts"] as? Int == 4 && summary["scatters"] as? Int == 4, "\(line)")
        #expect((summary["problems"] as? [String])?.isEmpty == true, "\(line)")
        let sections = summary["sections"] as? [String] ?? []
        for title in [
            "Loss per round", "Rouge-L per evaluated round", "Bytes per round by message type",
            "Fused features"
        ] {
            #expect(sections.contains { $0.hasPrefix(title) }, "\(title): \(sections)")
        }
        #expect((summary["ink"] as? Double ?? 0) > 0.01)
    }

    /// The check is not a rubber stamp: charts without axis titles, with ticks piled up, fail it.
    @Test(.enabled(if: chromium)) func aReportThatLostItsAxesFailsTheCheck() async throws {
        let dir = Harness.tempDir("report-browser-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (c, metrics, _) = Self.run()
        var html = Report.html(
            config: c, metrics: metrics, evaluations: ["0": 0.27, "5": 0.34], result: nil,
            scatters: [])
        html = html.replacingOccurrences(of: "class=\"axis-title\"", with: "class=\"gone\"")
            .replacingOccurrences(of: "class=\"tick\" x=\"", with: "class=\"tick\" x=\"70\" data-x=\"")
        let (status, output) = try await Self.check(html, in: dir)
        #expect(status != 0, "\(output)")
        #expect(output.contains("missing an axis title") && output.contains("tick labels overlap"), "\(output)")
    }
}

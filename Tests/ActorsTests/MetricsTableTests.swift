import Foundation
import Testing
@testable import Actors

/// metrics.csv: one row per (round, participant), the documented columns, round values repeated.
@Suite struct MetricsTableTests {
    static func rounds() -> [RoundMetrics] {
        var a = RoundMetrics(round: 1)
        a.participants = [4, 2]
        a.responders = [2]
        a.dropped = ["4": "train, deadline"]
        a.localSizes = ["2": 30, "4": 12]
        a.coresetSizes = ["2": 3]
        a.centroids = ["2": 5, "4": 2]
        a.selected = ["2": [0, 3]]
        a.clientLosses = ["2": 1.5]
        var t = RoundMetrics.ClientTimes()
        (t.features, t.fusion, t.intraClustering, t.selection, t.training) = (1, 0.5, 0.25, 0.125, 2)
        a.clientTimes = ["2": t]
        a.trainLoss = 1.5
        a.dataRatio = 0.1
        a.seconds = 9
        a.bytes = ["update.received": 100, "roundStart.sent": 40]
        var b = RoundMetrics(round: 2)
        b.participants = [7]
        b.responders = [7]
        b.rougeL = 0.25
        b.testLoss = .nan
        b.bytes = ["update.received": 50]
        return [a, b]
    }

    @Test func oneRowPerRoundAndParticipant() throws {
        let text = MetricsTable.csv(Self.rounds())
        let lines = text.split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        #expect(header == MetricsTable.columns + ["bytes_roundStart_sent", "bytes_update_received"])
        #expect(lines.count == 4)
        func row(_ i: Int) -> [String: String] {
            // The one quoted field (the dropped phase) holds a comma: split it by hand.
            var cells: [String] = []
            var cell = "", quoted = false
            for ch in lines[i] {
                if ch == "\"" {
                    quoted.toggle()
                } else if ch == ",",
                    !quoted
                {
                    cells.append(cell); cell = ""
                } else {
                    cell.append(ch)
                }
            }
            cells.append(cell)
            return Dictionary(uniqueKeysWithValues: zip(header, cells))
        }
        let c2 = row(1), c4 = row(2), c7 = row(3)
        #expect(
            c2["client"] == "2" && c2["responded"] == "1" && c2["local_samples"] == "30"
                && c2["coreset_size"] == "3")
        #expect(c2["selected_clusters"] == "2" && c2["client_train_loss"] == "1.5" && c2["training_s"] == "2.0")
        #expect(c2["client_total_s"] == "3.875" && c2["round_s"] == "9.0" && c2["bytes_update_received"] == "100")
        #expect(c4["client"] == "4" && c4["responded"] == "0" && c4["dropped_phase"] == "train, deadline")
        #expect(c4["training_s"] == "" && c4["round_train_loss"] == "1.5")
        #expect(c7["round"] == "2" && c7["round_rouge_l"] == "0.25" && c7["round_test_loss"] == "")
        #expect(c7["bytes_roundStart_sent"] == "0" && c7["bytes_update_received"] == "50")
    }

    /// A round on the simulated clock: client 0 answers both phases, client 1 misses the training
    /// deadline (hand-computed as in `SimulatedClockTests`).
    static func simulatedRound() throws -> RoundMetrics {
        let devices = [SimulatedClockTests.device(train: 10), SimulatedClockTests.device(train: 30)]
        let clock = SimulatedClockTests.clock(devices, deadlines: [.train: 20])
        var r = try clock.start(round: 1, at: 100, perRound: 2, plan: [.select, .train])
        let features = ClientWork(featureTokens: 1000, bytesDown: 1_000_000)
        try clock.run(.select, in: &r, work: [0: features, 1: features])
        try clock.run(.train, in: &r, work: [0: ClientWork(trainTokens: 1000), 1: ClientWork(trainTokens: 1000)])
        var m = RoundMetrics(round: 1)
        (m.participants, m.responders, m.dropped, m.simulated) = ([0, 1], [0], ["1": "train: late"], r)
        return m
    }

    @Test func simulatedRoundsAddTheClocksColumns() throws {
        let plain = MetricsTable.csv(Self.rounds()).split(separator: "\n")[0]
        #expect(!plain.contains("sim_"))
        let text = MetricsTable.csv([try Self.simulatedRound()])
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = lines[0].map(String.init)
        #expect(header == MetricsTable.columns + MetricsTable.simulatedColumns)
        func cell(_ row: Int, _ name: String) -> String { String(lines[row][header.firstIndex(of: name)!]) }
        // 1 MB at 8 Mbit/s = 1 s, 1,000 feature tokens at 1 s/1k: both report at 102 s; client 0
        // trains 10 s (112 s), client 1 would need 30 s, after the deadline at 122 s.
        #expect(cell(1, "sim_outcome") == "aggregated" && cell(1, "sim_select_reports_at") == "102.0")
        #expect(cell(1, "sim_train_compute_s") == "10.0" && cell(1, "sim_train_reports_at") == "112.0")
        #expect(cell(1, "sim_feature_tokens") == "1000" && cell(1, "sim_train_tokens") == "1000")
        #expect(cell(1, "sim_bytes_down") == "1000000" && cell(1, "sim_left_at") == "")
        #expect(cell(2, "sim_outcome") == "late" && cell(2, "sim_train_reports_at") == "")
        #expect(cell(2, "sim_left_at") == "132.0" && cell(2, "round_sim_start") == "100.0")
        #expect(cell(2, "round_sim_end") == "122.0" && cell(2, "round_sim_online") == "2")
    }

    @Test func writtenBesideMetricsJSONL() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try RunOutput(folder: dir)
        try out.writeMetrics(Self.rounds())
        #expect(try String(contentsOf: out.metricsTableURL, encoding: .utf8) == MetricsTable.csv(Self.rounds()))
        #expect(RunOutput.runFiles.contains("metrics.csv"))
    }
}

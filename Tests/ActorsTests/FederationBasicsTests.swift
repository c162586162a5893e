import Foundation
import Testing
@testable import Actors

@Suite struct FederationBasicsTests {
    @Test func streamsDependOnlyOnTheirKey() {
        var a = SeededGenerator(seed: 1, round: 3, client: 5, purpose: .shuffle)
        var b = SeededGenerator(seed: 1, round: 3, client: 5, purpose: .shuffle)
        let xa = (0..<4).map { _ in a.next() }
        #expect(xa == (0..<4).map { _ in b.next() })
        for other in [
            SeededGenerator(seed: 2, round: 3, client: 5, purpose: .shuffle),
            SeededGenerator(seed: 1, round: 4, client: 5, purpose: .shuffle),
            SeededGenerator(seed: 1, round: 3, client: 6, purpose: .shuffle),
            SeededGenerator(seed: 1, round: 3, client: 5, purpose: .dropout)
        ] {
            var o = other
            #expect((0..<4).map { _ in o.next() } != xa)
        }
    }

    @Test func splitMixMatchesPublishedSequence() {
        // SplitMix64 with state 1234567 (Vigna's reference): first outputs.
        var g = SeededGenerator(state: 1234567)
        #expect(g.next() == 6457827717110365317)
        #expect(g.next() == 3203168211198807973)
    }

    @Test func participantsAreDistinctSortedAndReproducible() throws {
        let s = try ParticipantSampler(clients: 200, perRound: 10, rounds: 40, seed: 42, upfront: true)
        for r in 1...40 {
            let p = s.participants(round: r)
            #expect(p.count == 10 && Set(p).count == 10 && p == p.sorted() && p.allSatisfy { (0..<200).contains($0) })
        }
        let t = try ParticipantSampler(clients: 200, perRound: 10, rounds: 40, seed: 42, upfront: true)
        #expect(s == t)
        let u = try ParticipantSampler(clients: 200, perRound: 10, rounds: 40, seed: 43, upfront: true)
        #expect(s.schedule != u.schedule)
        // Every client is equally likely: over many rounds each is drawn about rounds*k times.
        let many = try ParticipantSampler(clients: 20, perRound: 5, rounds: 4000, seed: 9, upfront: true)
        var counts = [Int](repeating: 0, count: 20)
        for l in many.schedule { for c in l { counts[c] += 1 } }
        #expect(counts.allSatisfy { abs($0 - 1000) < 120 })
        let perRound = try ParticipantSampler(clients: 200, perRound: 10, rounds: 40, seed: 42, upfront: false)
        #expect(perRound.participants(round: 3) == perRound.participants(round: 3))
        #expect(throws: ActorsError.self) {
            try ParticipantSampler(clients: 5, perRound: 6, rounds: 1, seed: 1, upfront: true)
        }
    }

    @Test func fedAvgWeightsByBatchesInClientOrder() throws {
        let u = [
            FedAvg.Contribution(client: 7, batches: 3, parameters: [1, 2]),
            FedAvg.Contribution(client: 2, batches: 1, parameters: [5, -2]),
            FedAvg.Contribution(client: 4, batches: 0, parameters: [100, 100])
        ]
        #expect(try FedAvg.average(u, equalWeight: false) == [0.25 * 5 + 0.75 * 1, 0.25 * -2 + 0.75 * 2])
        #expect(try FedAvg.average(u, equalWeight: true) == [3, 0])
        #expect(try FedAvg.average(u.reversed(), equalWeight: false) == FedAvg.average(u, equalWeight: false))
        #expect(try FedAvg.average([u[2]], equalWeight: false) == nil)
        #expect(throws: ActorsError.self) {
            try FedAvg.average([u[0], FedAvg.Contribution(client: 1, batches: 1, parameters: [1])], equalWeight: false)
        }
    }

    @Test func checkpointRoundTripsAndWritesAtomically() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedhds-ckpt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var m = RoundMetrics(round: 1)
        m.participants = [1, 2]
        m.trainLoss = 2.5
        let cp = Checkpoint(
            config: RunConfig(), round: 1,
            sampler: try ParticipantSampler(clients: 10, perRound: 2, rounds: 3, seed: 1, upfront: true),
            metrics: [m], evaluations: ["0": 0.12], elapsedSeconds: 3,
            adapter: [1.5, -0.0, .leastNonzeroMagnitude, 3e-5])
        let url = dir.appendingPathComponent("checkpoint.bin")
        try cp.write(to: url)
        let back = try Checkpoint.read(from: url)
        #expect(back == cp)
        #expect(back.adapter.map(\.bitPattern) == cp.adapter.map(\.bitPattern))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["checkpoint.bin"])
        var bytes = try Data(contentsOf: url)
        bytes.removeLast()
        #expect(throws: ActorsError.storage("checkpoint adapter truncated")) { try Checkpoint.decode(bytes) }
    }

    /// A checkpoint written before a run setting existed (here `precision`, added later) resumes
    /// with that setting's default, every other value exactly as stored.
    @Test func checkpointWithoutANewerSettingResumesWithItsDefault() throws {
        var config = RunConfig()
        config.seed = .max
        config.loraDropout = 0.05
        config.learningRate = 3e-5
        config.name = "old run"
        var m = RoundMetrics(round: 2)
        m.trainLoss = 0.1
        m.testLoss = .nan
        let cp = Checkpoint(
            config: config, round: 2,
            sampler: try ParticipantSampler(clients: 10, perRound: 3, rounds: 4, seed: 7, upfront: true),
            metrics: [m], evaluations: ["0": 0.1, "2": 0.30000000000000004], elapsedSeconds: 1.1,
            adapter: [0.25, -3])
        var data = try cp.encoded()
        let jsonCount = Int(
            data[8..<16].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        var json = String(decoding: data[16..<(16 + jsonCount)], as: UTF8.self)
        #expect(json.contains("\"precision\":\"bf16\","))
        json = json.replacingOccurrences(of: "\"precision\":\"bf16\",", with: "")
        var old = Data(Checkpoint.magic)
        withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { old.append(contentsOf: $0) }
        old.append(Data(json.utf8))
        old.append(data[(16 + jsonCount)..<(data.count - 40)])  // such a checkpoint has no digest either
        data = old
        let back = try Checkpoint.decode(data)
        #expect(back.config == config)
        #expect(back.round == 2 && back.sampler == cp.sampler && back.evaluations == cp.evaluations)
        #expect(back.metrics[0].trainLoss == 0.1 && back.metrics[0].testLoss?.isNaN == true)
        #expect(back.adapter == [0.25, -3])
    }

    /// A non-finite number in the metrics (e.g. a loss over no tokens) must not stop a run at its
    /// checkpoint or make metrics.jsonl unreadable.
    @Test func nonFiniteMetricsSurviveTheCheckpointAndMetricsFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedhds-nan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var m = RoundMetrics(round: 1)
        m.testLoss = .nan
        m.trainLoss = .infinity
        let cp = Checkpoint(
            config: RunConfig(), round: 1,
            sampler: try ParticipantSampler(clients: 10, perRound: 2, rounds: 3, seed: 1, upfront: true),
            metrics: [m], evaluations: [:], elapsedSeconds: 1, adapter: [1])
        let back = try Checkpoint.decode(try cp.encoded())
        #expect(back.metrics[0].testLoss?.isNaN == true && back.metrics[0].trainLoss == .infinity)
        let out = try RunOutput(folder: dir.path)
        try out.writeMetrics([m])
        let read = try RunOutput.readMetrics(out.metricsURL)
        #expect(read.count == 1 && read[0].testLoss?.isNaN == true)
    }
}

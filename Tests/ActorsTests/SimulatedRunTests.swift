import Foundation
import Testing
import Transport
@testable import Actors

/// Whole runs on the simulated clock (`Coordinator.runInProcess` with the arithmetic stand-in):
/// who is drawn, which updates are aggregated, what the metrics record, resume, and that the
/// host's timing changes nothing.
@Suite struct SimulatedRunTests {
    static func config(
        _ method: Method = .fedit, clients: Int = 8, rounds: Int = 3,
        participation: Double = 0.25
    ) -> RunConfig {
        var c = RoundProtocolTests.config(method, clients: clients, rounds: rounds)
        c.participation = participation
        c.clockKind = .simulated
        return c
    }

    /// `devices` written as a trace in `dir`, and `c` set to read it.
    static func useTrace(_ devices: [DeviceProfile], in dir: String, _ c: inout RunConfig) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/devices.jsonl"
        try DeviceTrace.render(SystemModel(devices: devices)).write(toFile: path, atomically: true, encoding: .utf8)
        (c.clockDevices, c.clockTrace) = (.trace, path)
    }

    static func device(train: Double = 10, dropout: Double = 0, availability: Availability = .always) -> DeviceProfile {
        DeviceProfile(
            featureSecondsPer1k: 1, trainSecondsPer1k: train, generateSecondsPer1k: 50, downMbps: 20,
            upMbps: 5, latency: 0.05, dropout: dropout, availability: availability)
    }

    static func run(
        _ c: RunConfig, _ compute: ArithmeticCompute, in dir: String, stopAfter: Int? = nil,
        resume: Bool = false
    ) async throws -> RunOutcome {
        try await Coordinator.runInProcess(
            config: c, compute: compute,
            options: RunOptions(
                output: dir + "/run", resume: resume,
                stopAfterRound: stopAfter, showProgress: false))
    }

    static func metrics(_ dir: String) throws -> [RoundMetrics] {
        try RunOutput.readMetrics(URL(fileURLWithPath: dir + "/run/metrics.jsonl"))
    }

    @Test func onlyClientsOnlineAtTheRoundsStartAreDrawn() async throws {
        // Even clients are always online; odd ones only from 50,000 s of each day. The rounds
        // take minutes, so every round starts while only the even clients are online.
        let dir = RoundProtocolTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let late = Availability(period: 86_400, windows: [.init(start: 50_000, end: 86_400)])
        let devices = (0..<8).map { Self.device(availability: $0 % 2 == 0 ? .always : late) }
        var c = Self.config(rounds: 4)
        try Self.useTrace(devices, in: dir, &c)
        let compute = ArithmeticCompute(clientCount: 8, seed: c.seed)
        _ = try await Self.run(c, compute, in: dir).finished
        let rounds = try Self.metrics(dir)
        #expect(rounds.count == 4)
        for m in rounds {
            let r = try #require(m.simulated)
            #expect(r.online == 4 && r.start < 50_000)
            #expect(r.invited.allSatisfy { $0 % 2 == 0 } && m.participants == r.invited && r.invited.count == 2)
            #expect(m.responders == r.invited)
        }
        // Each round starts where the previous one ended.
        #expect(zip(rounds, rounds.dropFirst()).allSatisfy { $1.simulated!.requested == $0.simulated!.end })
        // The plain draw of these rounds takes an odd client somewhere: the clock made the difference.
        let plain = try ParticipantSampler(clients: 8, perRound: 2, rounds: 4, seed: c.seed, upfront: c.upfrontSampling)
        #expect((1...4).contains { plain.participants(round: $0).contains { $0 % 2 == 1 } })

        // With only client 0 online at 0 s and the rest from 3,600 s, round 1 waits for K = 2.
        let dir2 = RoundProtocolTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir2) }
        let later = Availability(period: 86_400, windows: [.init(start: 3_600, end: 86_400)])
        var c2 = Self.config(rounds: 1)
        try Self.useTrace((0..<8).map { Self.device(availability: $0 == 0 ? .always : later) }, in: dir2, &c2)
        _ = try await Self.run(c2, compute, in: dir2).finished
        let first = try #require(try Self.metrics(dir2).first?.simulated)
        #expect(first.requested == 0 && first.start == 3_600 && first.online == 8)
    }

    @Test func overSelectionAggregatesExactlyTheFirstKReporters() async throws {
        // K = 2 of 6, f = 3: everyone is invited; training speeds differ, bytes are alike, so the
        // order of the answers is the order of tokens x seconds per token.
        let dir = RoundProtocolTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let speeds: [Double] = [30, 5, 20, 10, 40, 15]
        var c = Self.config(clients: 6, rounds: 1, participation: 1.0 / 3)
        c.overSelection = 3
        try Self.useTrace(speeds.map { Self.device(train: $0) }, in: dir, &c)
        let compute = ArithmeticCompute(clientCount: 6, seed: c.seed)
        let result = try await Self.run(c, compute, in: dir).finished
        let m = try #require(try Self.metrics(dir).first)
        let r = try #require(m.simulated)
        #expect(r.invited == [0, 1, 2, 3, 4, 5] && r.target == 2)
        let busy = try (0..<6).map { c in
            Double(try compute.tokenCounts(client: c, model: .global).reduce(0, +)) * speeds[c]
        }
        let order = (0..<6).sorted { busy[$0] < busy[$1] }
        let first = Array(order.prefix(2)).sorted()
        #expect(m.responders == first && r.answered == first)
        #expect(r.surplus == Array(order.dropFirst(2)).sorted())
        #expect(r.end == first.map { r.clients[String($0)]!.phases["train"]!.reports! }.max())
        #expect(Set(m.dropped.keys) == Set(r.surplus.map(String.init)))
        // The adapter is FedAvg of exactly those two updates, trained here as the clients do.
        let global = try compute.initialAdapter()
        var contributions: [FedAvg.Contribution] = []
        for client in first {
            var samples = Array(0..<(try compute.localCount(client: client)))
            var shuffle = SeededGenerator(seed: c.seed, round: 1, client: client, purpose: .shuffle)
            samples.shuffle(using: &shuffle)
            let t = try await compute.train(
                client: client, round: 1, samples: samples, adapter: global,
                optimizer: .adam)
            contributions.append(.init(client: client, batches: t.batches, parameters: t.adapter))
        }
        let expected = try #require(try FedAvg.average(contributions, equalWeight: false))
        #expect(result.adapterSHA == AdapterDigest.hex(expected))
    }

    @Test func aResumedRunContinuesTheClockAndTheProxyFeaturesStayCharged() async throws {
        // FedHDS-Turbo on heterogeneous devices that drop out with probability 0.3, with a
        // training deadline and over-selection (6 invited for 4 updates).
        let dir = RoundProtocolTests.tempDir(), split = RoundProtocolTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir); try? FileManager.default.removeItem(atPath: split) }
        var c = Self.config(.fedhdsTurbo, clients: 8, rounds: 3, participation: 0.5)
        (c.overSelection, c.simulatedTrainDeadline) = (1.5, 3)
        let speeds: [Double] = [5, 40, 10, 30, 15, 60, 20, 8]
        try Self.useTrace(speeds.map { Self.device(train: $0, dropout: 0.3) }, in: dir + "/trace", &c)
        let compute = ArithmeticCompute(clientCount: 8, seed: c.seed)
        let whole = try await Self.run(c, compute, in: dir).finished
        #expect(try await Self.run(c, compute, in: split, stopAfter: 1) == .stopped(afterRound: 1))
        let resumed = try await Self.run(c, compute, in: split, resume: true).finished
        #expect(resumed.adapterSHA == whole.adapterSHA)
        let a = try Self.metrics(dir), b = try Self.metrics(split)
        #expect(a.map(\.simulated) == b.map(\.simulated) && a.map(\.dropped) == b.map(\.dropped))
        let records = a.compactMap(\.simulated)
        #expect(records.count == 3 && records.allSatisfy { $0.invited.count == 6 })
        #expect(records.contains { !$0.late.isEmpty || !$0.dropped.isEmpty || !$0.surplus.isEmpty })
        // A client's device computes its proxy features once: charged in its first select phase only.
        var seen: Set<Int> = []
        for r in records {
            for c in r.invited {
                guard let select = r.clients[String(c)]?.phases["select"], let work = select.work else { continue }
                #expect((work.featureTokens > 0) == !seen.contains(c), "round \(r.round), client \(c)")
                #expect(work.bytesDown > 32 * 4 && work.bytesUp > 0)
            }
            seen.formUnion(SimulatedRound.featuresComputed(in: [r]))
        }
    }

    @Test func hostTimingChangesNothingOnTheSimulatedClock() async throws {
        // Clients 4 and 5 take 1.5 s of host time to train (the host serves its clients in id order),
        // with a 0.3 s wall deadline: on the wall clock they miss it; on the simulated clock they
        // are waited for, and the run is the one without any delay.
        let dir = RoundProtocolTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = Self.config(clients: 6, rounds: 2, participation: 1)
        c.trainDeadline = 0.3
        var slow = ArithmeticCompute(clientCount: 6, seed: c.seed)
        slow.trainDelay = [4: 1.5, 5: 1.5]
        let quick = try await Self.run(c, ArithmeticCompute(clientCount: 6, seed: c.seed), in: dir + "/quick")
        let delayed = try await Self.run(c, slow, in: dir + "/slow")
        #expect(try quick.finished.adapterSHA == delayed.finished.adapterSHA)
        let q = try Self.metrics(dir + "/quick"), s = try Self.metrics(dir + "/slow")
        #expect(q.map(\.simulated) == s.map(\.simulated) && s.allSatisfy { $0.responders == Array(0..<6) })
        var wall = c
        wall.clockKind = .wall
        _ = try await Self.run(wall, slow, in: dir + "/wall").finished
        #expect(try Self.metrics(dir + "/wall").first?.responders == [0, 1, 2, 3])
    }

    @Test func uniformDevicesWithoutDeadlinesGiveTheWallClocksRun() async throws {
        // The uniform default invites the ordinary participants and never drops anyone, so on an
        // idle host the two clocks train the same adapter (FedHDS: both phases).
        let dir = RoundProtocolTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = Self.config(.fedhds, clients: 6, rounds: 2, participation: 0.5)
        var wall = c
        wall.clockKind = .wall
        let compute = ArithmeticCompute(clientCount: 6, seed: c.seed)
        let simulated = try await Self.run(c, compute, in: dir + "/simulated").finished
        let plain = try await Self.run(wall, compute, in: dir + "/wall").finished
        #expect(simulated.adapterSHA == plain.adapterSHA)
        let m = try Self.metrics(dir + "/simulated")
        #expect(m.map(\.participants) == (try Self.metrics(dir + "/wall")).map(\.participants))
        #expect(m.allSatisfy { $0.simulated?.answered == $0.participants && $0.simulated!.end > $0.simulated!.start })
    }
}

import Foundation
import Synchronization
import Testing
@testable import Actors

/// `fedhds run` on the simulated clock with the built binary and the tiny model: a scenario with
/// stragglers, dropouts and over-selection gives the same adapter and the same late, dropped and
/// surplus records beside busy threads the test starts and stops itself as without them, and a run
/// stopped after round 1 and resumed gives the same adapter and simulated times.
@Suite(.serialized) struct SimulatedClockEndToEndTests {
    /// Smoke on capped client data with heterogeneous devices (the shipped trace, every client's
    /// dropout probability raised to 0.3 so that 2 rounds see dropouts), over-selection and
    /// simulated deadlines that make stragglers late; the wall deadlines are so
    /// short that on the wall clock every round would lose clients (the simulated clock has none).
    static func scenario(in dir: String) throws -> String {
        let shipped = Harness.root.appendingPathComponent("experiments/traces/synthetic-200.jsonl").path
        var devices = try DeviceTrace.read(path: shipped, clients: 12)
        for i in devices.devices.indices { devices.devices[i].dropout = 0.3 }
        let trace = dir + "/devices.jsonl"
        try DeviceTrace.render(devices).write(toFile: trace, atomically: true, encoding: .utf8)
        return try Harness.config(in: dir) { c in
            c.rounds = 2
            c.maxSamplesPerClient = 48
            c.tsneIterations = 250
            c.evalSamples = 4
            c.maxNewTokens = 8
            c.clockKind = .simulated
            c.clockDevices = .trace
            c.clockTrace = trace
            c.overSelection = 1.5
            c.simulatedFeatureDeadline = 40
            c.simulatedTrainDeadline = 6
            c.featureDeadline = 0.01
            c.trainDeadline = 0.01
        }
    }

    /// Runs the scenario into `dir/name`; fails the test with the output when it fails.
    static func run(_ cfg: String, _ dir: String, _ name: String, _ extra: [String] = []) async throws -> String {
        let (status, output) = try await Harness.run(
            ["run", cfg, "--out", dir + "/" + name] + extra,
            log: dir + "/" + name + ".log")
        #expect(status == 0, "\(output)")
        return output
    }

    static func records(_ dir: String) throws -> [SimulatedRound] {
        try Harness.metrics(dir).compactMap(\.simulated)
    }

    @Test func cpuHogsBesideTheRunChangeNothingButWallTime() async throws {
        let dir = Harness.tempDir("sim-hogs")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cfg = try Self.scenario(in: dir)
        _ = try await Self.run(cfg, dir, "quiet")
        // Four busy threads beside the second run (each stops by itself after 10 minutes at most).
        let hogs = CPUHogs(threads: 4, atMost: 600)
        defer { hogs.stop() }
        _ = try await Self.run(cfg, dir, "busy")
        let stillBusy = hogs.running
        hogs.stop()
        #expect(stillBusy && hogs.spins > 0, "the hogs ran through the whole run")
        #expect(try Harness.result(dir + "/busy").adapterSHA == Harness.result(dir + "/quiet").adapterSHA)
        let quiet = try Self.records(dir + "/quiet"), busy = try Self.records(dir + "/busy")
        #expect(quiet.count == 2 && busy == quiet)
        #expect(try Harness.metrics(dir + "/busy").map(\.dropped) == Harness.metrics(dir + "/quiet").map(\.dropped))
        // The scenario is not trivial: clients are late and drop out, and the rounds invite more
        // clients than they aggregate.
        #expect(quiet.contains { !$0.late.isEmpty } && quiet.contains { !$0.dropped.isEmpty })
        #expect(quiet.allSatisfy { $0.invited.count == 5 && $0.answered.count <= 3 })
        // The report plots against simulated time; metrics.csv has the clock's columns.
        let report = try String(contentsOfFile: dir + "/quiet/report.html", encoding: .utf8)
        #expect(report.contains("<h2>On the simulated clock</h2>") && report.contains("simulated time ("))
        let csv = try String(contentsOfFile: dir + "/quiet/metrics.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").first?.contains("sim_outcome") == true)
    }

    @Test func aStoppedRunResumesToTheSameAdapterAndSimulatedTimes() async throws {
        let dir = Harness.tempDir("sim-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cfg = try Self.scenario(in: dir)
        _ = try await Self.run(cfg, dir, "whole")
        let first = try await Self.run(cfg, dir, "split", ["--stop-after", "1"])
        #expect(first.contains("stopped after round 1"), "\(first)")
        let second = try await Self.run(cfg, dir, "split", ["--resume"])
        #expect(second.contains("resuming after round 1"), "\(second)")
        #expect(try Harness.result(dir + "/split").adapterSHA == Harness.result(dir + "/whole").adapterSHA)
        let whole = try Self.records(dir + "/whole"), resumed = try Self.records(dir + "/split")
        #expect(resumed == whole && resumed.count == 2)
        #expect(resumed[1].requested == resumed[0].end)
    }

    /// On one machine `cluster` runs on the simulated clock too: three worker processes give the
    /// one-process run's adapter and records (each answer's work does not depend on where it ran).
    @Test func aThreeWorkerClusterGivesTheOneProcessRun() async throws {
        let dir = Harness.tempDir("sim-cluster")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cfg = try Self.scenario(in: dir)
        _ = try await Self.run(cfg, dir, "one")
        let (status, output) = try await Harness.run(
            ["cluster", cfg, "--workers", "3", "--out", dir + "/cluster"],
            log: dir + "/cluster.log")
        #expect(status == 0, "\(output)")
        #expect(try Harness.result(dir + "/cluster").adapterSHA == Harness.result(dir + "/one").adapterSHA)
        #expect(try Self.records(dir + "/cluster") == Self.records(dir + "/one"))
        #expect(try Harness.metrics(dir + "/cluster").map(\.dropped) == Harness.metrics(dir + "/one").map(\.dropped))
        // `server` is for real deployments: it keeps wall-clock deadlines and says so.
        let server = ["server", cfg, "--bind", "tcp://127.0.0.1:0", "--out", dir + "/server"]
        let (refused, why) = try await Harness.run(server, log: dir + "/server.log")
        #expect(refused != 0 && why.contains("`clock.kind` = \"simulated\"") && why.contains("wall-clock"), "\(why)")
    }
}

/// Threads that keep the CPU busy until `stop()` or for `atMost` seconds, whichever comes first.
final class CPUHogs: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let work = Atomic<Int>(0)
    private let end: Date

    init(threads: Int, atMost seconds: Double) {
        end = Date().addingTimeInterval(seconds)
        for _ in 0..<threads {
            Thread { [self] in
                var x: UInt64 = 1
                while !stopped.load(ordering: .relaxed), Date() < end {
                    for _ in 0..<100_000 { x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407 }
                    work.add(x == 0 ? 2 : 1, ordering: .relaxed)
                }
            }.start()
        }
    }

    /// Whether the threads are still spinning (not stopped, not timed out).
    var running: Bool { !stopped.load(ordering: .relaxed) && Date() < end }
    /// Rounds of busy work done so far.
    var spins: Int { work.load(ordering: .relaxed) }
    func stop() { stopped.store(true, ordering: .relaxed) }
}

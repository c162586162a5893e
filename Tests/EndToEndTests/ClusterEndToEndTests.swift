import Foundation
import Testing
@testable import Actors

/// The `fedhds` binary: one process, a 3-worker local cluster over tcp://127.0.0.1 with CURVE,
/// kill + --resume, a killed worker, a worker with an unknown key, a malformed message.
@Suite(.serialized) struct ClusterEndToEndTests {
    /// Two rounds of FedHDS on capped client data: quick, and every step runs.
    static func quick(_ c: inout RunConfig) {
        c.rounds = 2
        c.maxSamplesPerClient = 60
        c.tsneIterations = 250
        c.evalBefore = false
        c.evalSamples = 2
        c.maxNewTokens = 4
        c.participation = 0.5
    }

    @Test func sameSeedGivesBitIdenticalAdaptersInOneProcessInAClusterAndAfterKillAndResume() async throws {
        let dir = Harness.tempDir("same")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cfg = try Harness.config(in: dir) { Self.quick(&$0) }
        let (s1, o1) = try await Harness.run(["run", cfg, "--out", dir + "/one"], log: dir + "/one.log")
        #expect(s1 == 0, "\(o1)")
        let (s2, o2) = try await Harness.run(
            ["cluster", cfg, "--workers", "3", "--out", dir + "/cluster"], log: dir + "/cluster.log")
        #expect(s2 == 0, "\(o2)")
        // Kill the one-process run (SIGKILL) once round 1's checkpoint exists, then resume.
        let p = try Harness.start(["run", cfg, "--out", dir + "/killed"], log: dir + "/killed.log")
        let checkpoint = dir + "/killed/checkpoint.bin"
        #expect(try await Harness.waitFor(300) { FileManager.default.fileExists(atPath: checkpoint) || !p.isRunning })
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(try Checkpoint.read(from: URL(fileURLWithPath: checkpoint)).round == 1)
        let (s3, o3) = try await Harness.run(
            ["run", cfg, "--out", dir + "/killed", "--resume"], log: dir + "/resumed.log")
        #expect(s3 == 0, "\(o3)")
        #expect(o3.contains("resuming after round 1"))
        let a = try Harness.result(dir + "/one"), b = try Harness.result(dir + "/cluster"),
            c = try Harness.result(dir + "/killed")
        #expect(a.adapterSHA == b.adapterSHA)
        #expect(a.adapterSHA == c.adapterSHA)
        let ma = try Harness.metrics(dir + "/one"), mb = try Harness.metrics(dir + "/cluster")
        #expect(ma.map(\.participants) == mb.map(\.participants))
        #expect(ma.map(\.coresetSizes) == mb.map(\.coresetSizes))
        // The adapter files are the same bytes too.
        let fa = try Data(contentsOf: URL(fileURLWithPath: dir + "/one/adapter/adapter_model.safetensors"))
        let fb = try Data(contentsOf: URL(fileURLWithPath: dir + "/cluster/adapter/adapter_model.safetensors"))
        #expect(fa == fb)
    }

    /// Coreset-Cent's central k-means over every client's features runs the same in a 3-worker
    /// cluster as in one process: the same chosen set and the same adapter.
    @Test func coresetCentIsCentralInAClusterAsInOneProcess() async throws {
        let dir = Harness.tempDir("coreset-cent")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cfg = try Harness.config(in: dir) {
            Self.quick(&$0); $0.method = .coresetCent; $0.ratio = 0.05
        }
        let (s1, o1) = try await Harness.run(["run", cfg, "--out", dir + "/one"], log: dir + "/one.log")
        #expect(s1 == 0, "\(o1)")
        let (s2, o2) = try await Harness.run(
            ["cluster", cfg, "--workers", "3", "--out", dir + "/cluster"], log: dir + "/cluster.log")
        #expect(s2 == 0, "\(o2)")
        let ca = try Checkpoint.read(from: URL(fileURLWithPath: dir + "/one/checkpoint.bin"))
        let cb = try Checkpoint.read(from: URL(fileURLWithPath: dir + "/cluster/checkpoint.bin"))
        let chosen = try #require(ca.coresetCent)
        #expect(!chosen.isEmpty && cb.coresetCent == chosen)
        #expect(try Harness.result(dir + "/one").adapterSHA == (try Harness.result(dir + "/cluster").adapterSHA))
        #expect(
            try Harness.metrics(dir + "/one").map(\.coresetSizes)
                == (try Harness.metrics(dir + "/cluster").map(\.coresetSizes)))
    }

    @Test func aKilledWorkerCostsItsClientsOneRoundAndRejoins() async throws {
        let dir = Harness.tempDir("kill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cfg = try Harness.config(in: dir) {
            Self.quick(&$0)
            $0.rounds = 3
            $0.participation = 1.0  // every client takes part, so the dead worker's clients are missed
            $0.maxSamplesPerClient = 150  // a few seconds of work per worker: time to kill one mid-phase
            $0.tsneIterations = 1000
            $0.trainDeadline = 120
            $0.featureDeadline = 120
            $0.rejoinGrace = 60
        }
        let out = dir + "/run"
        let p = try Harness.start(["cluster", cfg, "--workers", "3", "--out", out], log: dir + "/cluster.log")
        // Once round 2's feature phase is under way, kill worker-1 (clients 4-7) in the middle of it.
        #expect(
            try await Harness.waitFor(300) {
                ((try? String(contentsOfFile: dir + "/cluster.log", encoding: .utf8)) ?? "").contains(
                    "round 2/3 · features + clustering · 0/12")
                    || !p.isRunning
            })
        try await Task.sleep(nanoseconds: 1_000_000_000)
        #expect(p.isRunning)
        let pids =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/workers.json")))
            as? [String: Int]
        let victim = try #require(pids?["worker-1"])
        kill(pid_t(victim), SIGKILL)
        while p.isRunning { try await Task.sleep(nanoseconds: 100_000_000) }
        let log = (try? String(contentsOfFile: dir + "/cluster.log", encoding: .utf8)) ?? ""
        #expect(p.terminationStatus == 0, "\(log)")
        let m = try Harness.metrics(out)
        #expect(m.count == 3)
        guard m.count == 3 else { return }
        #expect(m[0].responders == Array(0..<12))
        // Round 2 finished without clients 4-7 (their loss reported), well before the deadline.
        #expect(Set(m[1].dropped.keys) == ["4", "5", "6", "7"], "\(m[1].dropped)")
        #expect(m[1].responders == [0, 1, 2, 3, 8, 9, 10, 11])
        #expect(m[1].seconds < 120)
        #expect(m[1].trainLoss != nil)
        // The supervisor restarted worker-1, it registered again, and round 3 has everyone.
        #expect(log.contains("worker-1") && log.contains("was killed by signal"))
        #expect(m[2].responders == Array(0..<12), "\(m[2].dropped)")
    }

    @Test func unknownConfigurationKeyIsRefused() async throws {
        let dir = Harness.tempDir("badkey")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bad.toml"
        try "method = \"fedhds\"\n[data]\nclientz = 12\n".write(toFile: path, atomically: true, encoding: .utf8)
        let (status, output) = try await Harness.run(["run", path, "--out", dir + "/out"], log: dir + "/log")
        #expect(status != 0)
        #expect(output.contains("unknown key `data.clientz`"), "\(output)")
    }

    @Test func aWorkerWithAnUnknownKeyIsRefused() async throws {
        let dir = Harness.tempDir("curve")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cfg = try Harness.config(in: dir) {
            Self.quick(&$0); $0.rounds = 1
        }
        // Keys the server knows (worker-0) and a stranger's pair that trusts the same server key.
        try KeyFolder.create(dir + "/keys", workers: ["worker-0"])
        try KeyFolder.create(dir + "/stranger", workers: ["worker-0"])
        try FileManager.default.removeItem(atPath: dir + "/stranger/server.pub")
        try FileManager.default.copyItem(atPath: dir + "/keys/server.pub", toPath: dir + "/stranger/server.pub")
        let port = Int.random(in: 20000...40000)
        let server = try Harness.start(
            [
                "server", cfg, "--bind", "tcp://127.0.0.1:\(port)", "--keys", dir + "/keys",
                "--out", dir + "/run", "--registration-timeout", "20"
            ], log: dir + "/server.log")
        let stranger = try Harness.start(
            [
                "worker", cfg, "--connect", "tcp://127.0.0.1:\(port)", "--clients", "0-11",
                "--name", "worker-0", "--keys", dir + "/stranger"
            ], log: dir + "/stranger.log")
        while server.isRunning { try await Task.sleep(nanoseconds: 100_000_000) }
        stranger.terminate()
        let log = (try? String(contentsOfFile: dir + "/server.log", encoding: .utf8)) ?? ""
        #expect(server.terminationStatus != 0)
        #expect(!log.contains("registered"), "\(log)")
        #expect(log.contains("have no worker"), "\(log)")
        // The refused key is logged, not only counted.
        #expect(log.contains("refused a connection") && log.contains("not on the allow-list"), "\(log)")
    }

    @Test func aMalformedMessageIsRejectedLoggedAndTheRunGoesOn() async throws {
        let dir = Harness.tempDir("malformed")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cfg = try Harness.config(in: dir) { Self.quick(&$0) }
        let port = Int.random(in: 20000...40000)
        let out = dir + "/run"
        let server = try Harness.start(
            [
                "server", cfg, "--bind", "tcp://127.0.0.1:\(port)", "--out", out,
                "--registration-timeout", "120"
            ], log: dir + "/server.log")
        let worker = try Harness.start(
            [
                "worker", cfg, "--connect", "tcp://127.0.0.1:\(port)", "--clients", "0-11",
                "--name", "worker-0"
            ], log: dir + "/worker.log")
        defer { worker.terminate() }
        #expect(
            try await Harness.waitFor(120) {
                ((try? String(contentsOfFile: dir + "/server.log", encoding: .utf8)) ?? "").contains("listening on")
            })
        // A peer speaking ZMTP that sends bytes which are no fedhds envelope.
        try ZMTPProbe.sendGarbage(port: port, frames: [Array("this is not a fedhds message".utf8)])
        while server.isRunning { try await Task.sleep(nanoseconds: 100_000_000) }
        let log = (try? String(contentsOfFile: dir + "/server.log", encoding: .utf8)) ?? ""
        #expect(server.terminationStatus == 0, "\(log)")
        #expect(log.contains("rejected a message"), "\(log)")
        #expect(try Harness.metrics(out).count == 2)
    }
}

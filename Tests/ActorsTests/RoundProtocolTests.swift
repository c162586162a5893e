import Foundation
import Testing
import Transport
@testable import Actors

/// The round protocol over the in-process transport with an arithmetic stand-in for the model.
@Suite struct RoundProtocolTests {
    static func config(_ method: Method = .fedit, clients: Int = 6, rounds: Int = 3) -> RunConfig {
        var c = RunConfig()
        c.name = "protocol-test"
        c.method = method
        c.clients = clients
        c.rounds = rounds
        c.participation = 0.5
        c.seed = 11
        c.tsneIterations = 250
        c.evalBefore = true
        c.featureDeadline = 30
        c.trainDeadline = 30
        return c
    }

    static func tempDir() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("fedhds-\(UUID().uuidString)").path
    }

    @Test func oneProcessRunWritesEverythingAndIsReproducible() async throws {
        let c = Self.config()
        let compute = ArithmeticCompute(clientCount: c.clients, seed: c.seed)
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r1 = try await Coordinator.runInProcess(
            config: c, compute: compute,
            options: RunOptions(output: dir, showProgress: false)
        ).finished
        #expect(r1.rounds == 3)
        let metrics = try RunOutput.readMetrics(URL(fileURLWithPath: dir).appendingPathComponent("metrics.jsonl"))
        #expect(metrics.map(\.round) == [1, 2, 3])
        for m in metrics {
            #expect(m.participants.count == 3 && m.responders == m.participants && m.dropped.isEmpty)
            #expect(m.dataRatio == 1)  // FedIT trains on everything
            #expect(m.trainLoss != nil && (m.bytes["update.received"] ?? 0) > 32 * 4 * 3)
        }
        for f in ["config.toml", "metrics.jsonl", "result.json", "checkpoint.bin", "report.html", "adapter/adapter.f32"]
        {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "missing \(f)")
        }
        #expect(try RunConfig.load(path: dir + "/config.toml") == c)
        #expect((r1.rougeL ?? 0) > (r1.rougeLBefore ?? 1))  // training moved toward the targets
        let dir2 = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir2) }
        let r2 = try await Coordinator.runInProcess(
            config: c, compute: compute,
            options: RunOptions(output: dir2, showProgress: false)
        ).finished
        #expect(r2.adapterSHA == r1.adapterSHA)
        var other = c
        other.seed = 12
        let dir3 = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir3) }
        let r3 = try await Coordinator.runInProcess(
            config: other, compute: ArithmeticCompute(clientCount: 6, seed: 12),
            options: RunOptions(output: dir3, showProgress: false)
        ).finished
        #expect(r3.adapterSHA != r1.adapterSHA)
    }

    @Test func stoppedRunResumesToTheSameAdapter() async throws {
        let c = Self.config(.fedhdsTurbo, rounds: 3)
        let compute = ArithmeticCompute(clientCount: c.clients, seed: c.seed)
        let whole = Self.tempDir(), split = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: whole); try? FileManager.default.removeItem(atPath: split) }
        let full = try await Coordinator.runInProcess(
            config: c, compute: compute,
            options: RunOptions(output: whole, showProgress: false)
        ).finished
        let stopped = try await Coordinator.runInProcess(
            config: c, compute: compute,
            options: RunOptions(output: split, stopAfterRound: 1, showProgress: false))
        #expect(stopped == .stopped(afterRound: 1))
        #expect(try Checkpoint.read(from: URL(fileURLWithPath: split + "/checkpoint.bin")).round == 1)
        let resumed = try await Coordinator.runInProcess(
            config: c, compute: compute,
            options: RunOptions(output: split, resume: true, showProgress: false)
        ).finished
        #expect(resumed.adapterSHA == full.adapterSHA)
        let a = try RunOutput.readMetrics(URL(fileURLWithPath: whole + "/metrics.jsonl"))
        let b = try RunOutput.readMetrics(URL(fileURLWithPath: split + "/metrics.jsonl"))
        #expect(a.map(\.participants) == b.map(\.participants) && a.map(\.coresetSizes) == b.map(\.coresetSizes))
        var changed = c
        changed.seed = 99
        await #expect(throws: ActorsError.self) {
            _ = try await Coordinator.runInProcess(
                config: changed, compute: compute,
                options: RunOptions(output: split, resume: true, showProgress: false))
        }
    }

    @Test(arguments: [
        Method.fedhds, .fedhdsTurbo, .fedit, .feditSGD, .random, .perplexity, .globalSelect,
        .globalSelectTurbo, .coresetCent, .fedhdsNoInter, .fedhdsLastLayer, .fedhdsPCA, .fedhdsKPCA
    ])
    func everyMethodCompletes(_ method: Method) async throws {
        var c = Self.config(method, rounds: 2)
        c.evalBefore = false
        c.ratio = 0.1  // 24-40 samples a client: at 1.5% the stochastic count is often 0
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try await Coordinator.runInProcess(
            config: c, compute: ArithmeticCompute(clientCount: 6, seed: 11),
            options: RunOptions(output: dir, showProgress: false)
        ).finished
        #expect(r.rounds == 2)
        let metrics = try RunOutput.readMetrics(URL(fileURLWithPath: dir + "/metrics.jsonl"))
        #expect(metrics.allSatisfy { $0.dropped.isEmpty && $0.faults.isEmpty })
        switch method.plan.selection {
        case .all: #expect(r.dataRatio == 1)
        default:
            // With the inter-client step the server may keep nothing when the few centroids of
            // this stand-in form no cluster; every other method must select something.
            let mayBeEmpty = method.plan.selection == .hierarchical && method.plan.interClient
            #expect((mayBeEmpty || r.dataRatio > 0) && r.dataRatio < 0.5, "\(method): ratio \(r.dataRatio)")
        }
        if method.plan.selection == .hierarchical {
            #expect(metrics.allSatisfy { !$0.centroids.isEmpty })
            #expect(metrics.contains { ($0.bytes["centroids.received"] ?? 0) > 0 })
        }
    }

    /// Two worker hosts on one in-process server, as `fedhds cluster` has them over ZeroMQ.
    struct TwoWorkers {
        let transport = InProcessServer()
        let server: ServerActor
        let config: RunConfig
        init(_ c: RunConfig) async {
            config = c
            server = ServerActor(endpoint: transport, config: c)
            await server.start()
        }
        func host(_ name: String, _ clients: [Int], _ compute: ArithmeticCompute) throws -> (
            InProcessWorker, Task<Void, any Error>
        ) {
            let ep = try transport.connectWorker(name: name)
            let h = try WorkerHost(name: name, endpoint: ep, config: config, compute: compute, clientIDs: clients)
            return (ep, Task { try await h.run() })
        }
    }

    @Test func lostWorkerDropsItsClientsAtOnceAndMayRejoin() async throws {
        var c = Self.config(.fedit, clients: 4)
        c.trainDeadline = 20
        let setup = await TwoWorkers(c)
        var slow = ArithmeticCompute(clientCount: 4, seed: 11)
        slow.trainDelay = [2: 1.0, 3: 1.0]
        let (_, ta) = try setup.host("worker-a", [0, 1], slow)
        let (epB, _) = try setup.host("worker-b", [2, 3], slow)
        try await setup.server.waitForClients(Set(0..<4), timeout: 5)
        let g0 = try slow.initialAdapter()
        Task {
            try await Task.sleep(nanoseconds: 300_000_000); await epB.close()
        }
        let t0 = Date()
        let (g1, m1) = try await setup.server.runRound(1, participants: [0, 1, 2, 3], global: g0)
        #expect(Date().timeIntervalSince(t0) < 5)  // not the 20 s deadline: the loss is known at once
        #expect(m1.responders == [0, 1])
        #expect(Set(m1.dropped.keys) == ["2", "3"])
        #expect(m1.faults.contains { $0.contains("worker-b lost") })
        #expect(g1 != g0)
        // The worker comes back under the same name; the next round includes its clients.
        let (_, _) = try setup.host("worker-b", [2, 3], ArithmeticCompute(clientCount: 4, seed: 11))
        try await setup.server.waitForClients(Set(0..<4), timeout: 5)
        let (_, m2) = try await setup.server.runRound(2, participants: [0, 1, 2, 3], global: g1)
        #expect(m2.responders == [0, 1, 2, 3] && m2.dropped.isEmpty)
        await setup.server.shutdown()
        _ = try? await ta.value
    }

    @Test func silentClientDelaysTheRoundByAtMostItsDeadline() async throws {
        var c = Self.config(.fedit, clients: 4)
        c.trainDeadline = 3.0
        let setup = await TwoWorkers(c)
        var compute = ArithmeticCompute(clientCount: 4, seed: 11)
        compute.trainDelay = [3: 12.0]
        compute.failing = [1]
        let (_, _) = try setup.host("worker-a", [0, 1, 2], compute)
        let (_, _) = try setup.host("worker-b", [3], compute)
        try await setup.server.waitForClients(Set(0..<4), timeout: 5)
        let t0 = Date()
        let (_, m) = try await setup.server.runRound(
            1, participants: [0, 1, 2, 3], global: try compute.initialAdapter())
        let took = Date().timeIntervalSince(t0)
        #expect(took >= 3.0 && took < 8)
        #expect(m.responders == [0, 2])
        #expect(m.dropped["1"]?.contains("failed on purpose") == true)
        #expect(m.dropped["3"]?.contains("deadline") == true)
        // The next round goes on with the others while the slow client is still busy.
        let (_, m2) = try await setup.server.runRound(2, participants: [0, 2], global: try compute.initialAdapter())
        #expect(m2.responders == [0, 2])
        await setup.server.shutdown()
    }

    @Test func rejectedMessagesAndMismatchedWorkersAreLoggedAndTheRunGoesOn() async throws {
        let c = Self.config(.fedit, clients: 4)
        let setup = await TwoWorkers(c)
        let compute = ArithmeticCompute(clientCount: 4, seed: 11)
        let (_, _) = try setup.host("worker-a", [0, 1, 2, 3], compute)
        var wrong = c
        wrong.seed = 5
        let epBad = try setup.transport.connectWorker(name: "worker-wrong")
        let hostBad = try WorkerHost(
            name: "worker-wrong", endpoint: epBad, config: wrong, compute: compute, clientIDs: [0])
        let badTask = Task { try await hostBad.run() }
        try await setup.server.waitForClients(Set(0..<4), timeout: 5)
        // The mismatched worker is told to shut down and never hosts client 0.
        _ = try? await badTask.value
        await setup.server.handle(.rejected(PeerID("worker-x"), TransportError.badMagic))
        let (_, m) = try await setup.server.runRound(
            1, participants: [0, 1, 2, 3], global: try compute.initialAdapter())
        #expect(m.responders == [0, 1, 2, 3])
        await setup.server.shutdown()
    }
}

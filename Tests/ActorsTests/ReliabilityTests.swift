import Foundation
import Synchronization
import Testing
import Transport
@testable import Actors

/// Faults a hostile tester found (issue 16): a worker that loses or is refused by the server
/// exits with an error, overlapping claims are refused, bad paths and numbers are refused.
@Suite struct ReliabilityTests {
    typealias TwoWorkers = RoundProtocolTests.TwoWorkers

    static func config(clients: Int = 4) -> RunConfig {
        var c = RoundProtocolTests.config(.fedit, clients: clients)
        c.trainDeadline = 10
        return c
    }

    /// Waits for a task's end for at most `seconds`; nil when it is still running (the task is
    /// left running: awaiting it would hang the test).
    static func outcome(_ task: Task<Void, any Error>, within seconds: Double) async -> Result<Void, any Error>? {
        let box = Mutex<Result<Void, any Error>?>(nil)
        Task {
            let r: Result<Void, any Error>; do { try await task.value; r = .success(()) } catch { r = .failure(error) };
            box.withLock { $0 = r }
        }
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if let r = box.withLock({ $0 }) { return r }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return box.withLock { $0 }
    }

    @Test func aWorkerWhoseServerGoesAwayEndsWithAnError() async throws {
        let c = Self.config()
        let setup = await TwoWorkers(c)
        let (_, task) = try setup.host("worker-a", [0, 1, 2, 3], ArithmeticCompute(clientCount: 4, seed: 11))
        try await setup.server.waitForClients(Set(0..<4), timeout: 5)
        await setup.transport.close()  // the server vanishes without saying the run is over
        let end = await Self.outcome(task, within: 10)
        guard case let .failure(error)? = end else {
            Issue.record("the worker ended as if the run were over: \(String(describing: end))"); return
        }
        #expect("\(error)".contains("connection to the server ended"), "\(error)")
    }

    @Test func aWorkerEndsCleanlyWhenTheServerSaysTheRunIsOver() async throws {
        let c = Self.config()
        let setup = await TwoWorkers(c)
        let (_, task) = try setup.host("worker-a", [0, 1, 2, 3], ArithmeticCompute(clientCount: 4, seed: 11))
        try await setup.server.waitForClients(Set(0..<4), timeout: 5)
        await setup.server.shutdown()
        let end = await Self.outcome(task, within: 10)
        guard case .success? = end else { Issue.record("\(String(describing: end))"); return }
    }

    @Test func aWorkerWhoseConfigurationIsRefusedEndsWithAnError() async throws {
        let c = Self.config()
        let setup = await TwoWorkers(c)
        var wrong = c
        wrong.seed = 5
        let ep = try setup.transport.connectWorker(name: "worker-wrong")
        let host = try WorkerHost(
            name: "worker-wrong", endpoint: ep, config: wrong,
            compute: ArithmeticCompute(clientCount: 4, seed: 11), clientIDs: [0])
        let task = Task<Void, any Error> { try await host.run() }
        let end = await Self.outcome(task, within: 10)
        guard case let .failure(error)? = end else {
            Issue.record("refused worker ended as if the run were over: \(String(describing: end))"); return
        }
        #expect("\(error)".contains("configuration"), "\(error)")
        await setup.server.shutdown()
    }

    @Test func aSecondWorkerCannotTakeOverTheClientsOfALiveOne() async throws {
        let c = Self.config()
        let setup = await TwoWorkers(c)
        let compute = ArithmeticCompute(clientCount: 4, seed: 11)
        let (_, taskA) = try setup.host("worker-a", [0, 1, 2, 3], compute)
        try await setup.server.waitForClients(Set(0..<4), timeout: 5)
        let (epB, taskB) = try setup.host("worker-b", [2, 3], compute)
        let end = await Self.outcome(taskB, within: 3)
        // The intruder then goes away; worker-a still hosts clients 2 and 3.
        await epB.close()
        #expect(await setup.server.hostedClients == Set(0..<4))
        let (_, m) = try await setup.server.runRound(
            1, participants: [0, 1, 2, 3], global: try compute.initialAdapter())
        #expect(m.responders == [0, 1, 2, 3], "\(m.dropped)")
        #expect(!m.faults.contains { $0.contains("which was not asked") }, "\(m.faults)")
        guard case let .failure(error)? = end else {
            Issue.record("the second worker was not refused: \(String(describing: end))"); return
        }
        #expect("\(error)".contains("hosted by live worker worker-a"), "\(error)")
        await setup.server.shutdown()
        _ = await Self.outcome(taskA, within: 5)
    }

    @Test func clientRangesAreCheckedBeforeAnythingIsAllocated() throws {
        #expect(try ClientRange.parse("0-3,7", below: 12) == [0, 1, 2, 3, 7])
        #expect(throws: ActorsError.self) { try ClientRange.parse("0-9223372036854775807", below: 12) }
        #expect(throws: ActorsError.self) { try ClientRange.parse("9223372036854775807", below: 12) }
        let t0 = Date()
        #expect(throws: ActorsError.self) { try ClientRange.parse("0-10000000", below: 12) }
        #expect(throws: ActorsError.self) { try ClientRange.parse("0-11,0-11", below: 12) }
        #expect(Date().timeIntervalSince(t0) < 0.1)
    }

    @Test func aMissingRelativeDataPathIsRefusedNamingIt() throws {
        let smoke = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("experiments/smoke.toml").path
        #expect {
            _ = try ModelCompute.resolveData("nope.jsonl", configPath: smoke)
        } throws: { "\($0)".contains("nope.jsonl") }
        // The shipped file under its usual relative name is still found from anywhere.
        let found = try ModelCompute.resolveData("data/dolly/databricks-dolly-15k.jsonl", configPath: nil)
        #expect(FileManager.default.fileExists(atPath: found))
    }

    @Test func rejectedMessagesAreCountedByKindNotLoggedOneByOne() async throws {
        let c = Self.config()
        let transport = InProcessServer()
        let lines = LogLines()
        let server = ServerActor(endpoint: transport, config: c, log: { lines.append($0) })
        await server.start()
        let compute = ArithmeticCompute(clientCount: 4, seed: 11)
        let ep = try transport.connectWorker(name: "worker-a")
        let host = try WorkerHost(name: "worker-a", endpoint: ep, config: c, compute: compute, clientIDs: [0, 1, 2, 3])
        let task = Task<Void, any Error> { try await host.run() }
        try await server.waitForClients(Set(0..<4), timeout: 5)
        for i in 0..<10_000 {
            await server.handle(
                .rejected(PeerID("stranger"), i % 3 == 0 ? TransportError.truncated(field: "x") : .badMagic))
        }
        let (_, m) = try await server.runRound(1, participants: [0, 1, 2, 3], global: try compute.initialAdapter())
        #expect(m.responders == [0, 1, 2, 3])
        #expect(m.faults.count <= ServerActor.rejectedSamples + 1, "\(m.faults.count) faults")
        #expect(
            m.faults.contains {
                $0.contains("10000 messages rejected") && $0.contains("badMagic 6666") && $0.contains("truncated 3334")
            },
            "\(m.faults.suffix(2))")
        #expect(lines.count < 20, "\(lines.count) log lines")
        // The next round starts counting afresh.
        let (_, m2) = try await server.runRound(2, participants: [0, 1], global: try compute.initialAdapter())
        #expect(m2.faults.isEmpty, "\(m2.faults)")
        await server.shutdown()
        _ = await Self.outcome(task, within: 5)
    }

    @Test func aRunInWhichNoClientTrainsEndsWithAnError() async throws {
        var c = RoundProtocolTests.config(.fedit, clients: 4, rounds: 2)
        c.evalBefore = false
        var compute = ArithmeticCompute(clientCount: 4, seed: 11)
        compute.failing = Set(0..<4)
        let dir = RoundProtocolTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        await #expect {
            _ = try await Coordinator.runInProcess(
                config: c, compute: compute,
                options: RunOptions(output: dir, showProgress: false))
        } throws: { "\($0)".contains("nothing was trained") && "\($0)".contains("failed on purpose") }
        // min_responses above the participants can never train: refused up front.
        var m = c
        m.minResponses = m.participantsPerRound + 1
        #expect { try m.validate() } throws: { "\($0)".contains("min_responses") }
    }

    @Test func aRunWhoseWorkersAreAllGoneStopsWithTheReason() async throws {
        var c = Self.config()
        c.rounds = 3
        c.rejoinGrace = 0.2
        c.evalBefore = false
        c.participation = 1
        let transport = InProcessServer()
        let progress = LogLines()
        let server = ServerActor(endpoint: transport, config: c, progress: { progress.append($0) })
        await server.start()
        var compute = ArithmeticCompute(clientCount: 4, seed: 11)
        compute.trainDelay = [0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0]
        let ep = try transport.connectWorker(name: "worker-a")
        let host = try WorkerHost(name: "worker-a", endpoint: ep, config: c, compute: compute, clientIDs: [0, 1, 2, 3])
        let hostTask = Task<Void, any Error> { try await host.run() }
        try await server.waitForClients(Set(0..<4), timeout: 5)
        let dir = RoundProtocolTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let output = try RunOutput(folder: dir)
        let run = Task<RunOutcome, any Error> {
            try await Coordinator.serve(
                config: c, server: server, compute: compute, output: output,
                options: RunOptions(output: dir, showProgress: false))
        }
        // The only worker goes away in the middle of round 1.
        let end = Date().addingTimeInterval(10)
        while Date() < end, !progress.all.contains(where: { $0.hasPrefix("round 1/3 · local training") }) {
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        await ep.close()
        await #expect { _ = try await run.value } throws: { "\($0)".contains("no worker is left") }
        _ = await Self.outcome(hostTask, within: 5)
        #expect(try Checkpoint.read(from: output.checkpointURL).round == 1)
    }

    @Test func aCleanEndIsNoLossAndRunLogLinesAreTimed() async throws {
        let c = Self.config()
        let transport = InProcessServer()
        let lines = LogLines()
        let server = ServerActor(endpoint: transport, config: c, log: { lines.append($0) })
        await server.start()
        let ep = try transport.connectWorker(name: "worker-a")
        let host = try WorkerHost(
            name: "worker-a", endpoint: ep, config: c,
            compute: ArithmeticCompute(clientCount: 4, seed: 11), clientIDs: [0, 1, 2, 3])
        let task = Task<Void, any Error> { try await host.run() }
        try await server.waitForClients(Set(0..<4), timeout: 5)
        await server.shutdown()
        _ = await Self.outcome(task, within: 5)
        #expect(!lines.all.contains { $0.contains("lost") }, "\(lines.all)")

        let dir = RoundProtocolTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await Coordinator.runInProcess(
            config: RoundProtocolTests.config(.fedit, clients: 4, rounds: 2),
            compute: ArithmeticCompute(clientCount: 4, seed: 11),
            options: RunOptions(output: dir, showProgress: false))
        let log = try String(contentsOfFile: dir + "/run.log", encoding: .utf8).split(separator: "\n")
        #expect(
            log.contains { $0.contains("round 1/2 done") } && log.contains { $0.contains("round 2/2 done") }, "\(log)")
        #expect(log.allSatisfy { $0.count > 21 && $0.prefix(20).last == "Z" && $0.dropFirst(4).first == "-" }, "\(log)")
        #expect(!log.contains { $0.contains("lost") }, "\(log)")
    }

    @Test func outputFoldersHoldingARunAreNotOverwrittenUnlessAsked() throws {
        let dir = RoundProtocolTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try RunOutput.prepare(folder: dir, resume: false, force: false)  // nothing there yet
        #expect { try RunOutput.prepare(folder: dir, resume: true, force: false) } throws: {
            "\($0)".contains("no checkpoint")
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in ["result.json", "run.log", "checkpoint.bin"] {
            try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/" + f))
        }
        #expect { try RunOutput.prepare(folder: dir, resume: false, force: false) } throws: {
            "\($0)".contains("already holds a run")
        }
        try RunOutput.prepare(folder: dir, resume: true, force: false)
        try RunOutput.prepare(folder: dir, resume: false, force: true)
        #expect(
            !FileManager.default.fileExists(atPath: dir + "/run.log")
                && !FileManager.default.fileExists(atPath: dir + "/result.json"))
        var c = RunConfig()
        for bad in ["../../x", "a/b", "..", ""] {
            c.name = bad
            #expect(throws: ActorsError.self, "\(bad)") { try c.validate() }
        }
    }
}

/// Log lines collected from any task.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var count: Int { lines.withLock { $0.count } }
    var all: [String] { lines.withLock { $0 } }
}

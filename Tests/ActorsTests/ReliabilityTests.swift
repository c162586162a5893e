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

    /// Waits for a task's end for at most `seconds`; nil when it is still running.
    static func outcome(_ task: Task<Void, any Error>, within seconds: Double) async -> Result<Void, any Error>? {
        let box = Task<Result<Void, any Error>?, Never> {
            await withTaskGroup(of: Result<Void, any Error>?.self) { group in
                group.addTask { do { try await task.value; return .success(()) } catch { return .failure(error) } }
                group.addTask { try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9)); return nil }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
        }
        return await box.value
    }

    @Test func aWorkerWhoseServerGoesAwayEndsWithAnError() async throws {
        let c = Self.config()
        let setup = await TwoWorkers(c)
        let (_, task) = try setup.host("worker-a", [0, 1, 2, 3], ArithmeticCompute(clientCount: 4, seed: 11))
        try await setup.server.waitForClients(Set(0..<4), timeout: 5)
        await setup.transport.close()  // the server vanishes without saying the run is over
        let end = await Self.outcome(task, within: 10)
        guard case let .failure(error)? = end else { Issue.record("the worker ended as if the run were over: \(String(describing: end))"); return }
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
        let host = try WorkerHost(name: "worker-wrong", endpoint: ep, config: wrong,
                                  compute: ArithmeticCompute(clientCount: 4, seed: 11), clientIDs: [0])
        let task = Task<Void, any Error> { try await host.run() }
        let end = await Self.outcome(task, within: 10)
        guard case let .failure(error)? = end else { Issue.record("refused worker ended as if the run were over: \(String(describing: end))"); return }
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
        let (_, m) = await setup.server.runRound(1, participants: [0, 1, 2, 3], global: try compute.initialAdapter())
        #expect(m.responders == [0, 1, 2, 3], "\(m.dropped)")
        #expect(!m.faults.contains { $0.contains("which was not asked") }, "\(m.faults)")
        guard case let .failure(error)? = end else { Issue.record("the second worker was not refused: \(String(describing: end))"); return }
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
            await server.handle(.rejected(PeerID("stranger"), i % 3 == 0 ? TransportError.truncated(field: "x") : .badMagic))
        }
        let (_, m) = await server.runRound(1, participants: [0, 1, 2, 3], global: try compute.initialAdapter())
        #expect(m.responders == [0, 1, 2, 3])
        #expect(m.faults.count <= ServerActor.rejectedSamples + 1, "\(m.faults.count) faults")
        #expect(m.faults.contains { $0.contains("10000 messages rejected") && $0.contains("badMagic 6666") && $0.contains("truncated 3334") },
                "\(m.faults.suffix(2))")
        #expect(lines.count < 20, "\(lines.count) log lines")
        // The next round starts counting afresh.
        let (_, m2) = await server.runRound(2, participants: [0, 1], global: try compute.initialAdapter())
        #expect(m2.faults.isEmpty, "\(m2.faults)")
        await server.shutdown()
        _ = await Self.outcome(task, within: 5)
    }
}

/// Log lines collected from any task.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var count: Int { lines.withLock { $0.count } }
    var all: [String] { lines.withLock { $0 } }
}

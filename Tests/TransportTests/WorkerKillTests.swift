import Foundation
import Glibc
import Testing
@testable import Transport

/// The built `fedhds` binary (env FEDHDS_BIN, else beside the test runner, else
/// .build/release/fedhds of this package); a test that needs it fails with a clear message if absent.
func fedhdsBinary() throws -> URL {
    var candidates: [URL] = []
    if let env = ProcessInfo.processInfo.environment["FEDHDS_BIN"] { candidates.append(URL(fileURLWithPath: env)) }
    let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    candidates.append(runner.deletingLastPathComponent().appendingPathComponent("fedhds"))
    let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    candidates.append(package.appendingPathComponent(".build/release/fedhds"))
    for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c }
    throw BinaryMissing(tried: candidates.map(\.path))
}

struct BinaryMissing: Error, CustomStringConvertible {
    let tried: [String]
    var description: String { "the fedhds binary was not found (build it first, or set FEDHDS_BIN); tried \(tried)" }
}

/// A worker process streaming 4 MB updates is SIGKILLed in the middle of its sends, twice: the
/// server survives, reports each loss through the lease (failing the pending request for that
/// worker, never a double or missing resume), and keeps serving another worker.
@Test func aWorkerKilledMidStreamIsReportedAndTheServerKeepsServing() async throws {
    let binary = try fedhdsBinary()
    let liveness = Liveness(
        heartbeatInterval: .milliseconds(100), lease: .seconds(2),
        zmtpInterval: .milliseconds(200), zmtpTimeout: .seconds(1))
    let context = try ZMQContext()
    let server = try ZMQServerEndpoint(
        context: context,
        options: ZMQServerOptions(
            endpoint: "tcp://127.0.0.1:*", liveness: liveness,
            highWaterMark: 4))
    let inbox = ServerInbox(server)
    let good = try ZMQWorkerEndpoint(
        context: context,
        options: ZMQWorkerOptions(
            endpoint: server.boundEndpoint, name: "good",
            liveness: liveness))
    var goodIncoming = good.incoming.makeAsyncIterator()
    for attempt in 0..<2 {
        let name = "doomed-\(attempt)"
        let child = Process()
        child.executableURL = binary
        child.arguments = [
            "transport-bench", "--stream-to", server.boundEndpoint, "--name", name, "--stream-megabytes", "4",
            "--heartbeat-ms", "100", "--lease-ms", "2000"
        ]
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        // Several multi-megabyte updates arrive whole; the stream is going when the kill lands.
        _ = try await inbox.next(from: PeerID(name), timeout: .seconds(60)) {
            if case .register = $0 { true } else { false }
        }
        for _ in 0..<3 {
            let m = try await inbox.next(from: PeerID(name), timeout: .seconds(60)) {
                if case .update = $0 { true } else { false }
            }
            guard case let .update(u) = m else { continue }
            #expect(u.adapter.count == 1 << 20 && u.adapter.allSatisfy { $0 == Float(u.round) })
        }
        let pending = Task {
            try await inbox.next(from: PeerID(name), timeout: .seconds(300)) {
                if case .shutdown = $0 { true } else { false }
            }
        }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)
        do {
            _ = try await pending.value
            Issue.record("the pending request for a killed worker returned a message")
        } catch let TransportError.peerLost(peer, _) {
            #expect(peer == name)
        } catch {
            Issue.record("the pending request failed with \(error), not peerLost")
        }
        await #expect(throws: TransportError.self) { try await server.send(.shutdown(Shutdown()), to: PeerID(name)) }
        // The other worker is still served, both ways, with a large payload too.
        let big = Message.update(
            ClientUpdate(
                round: attempt, clientID: 9, adapter: [Float](repeating: 2, count: 1 << 20),
                trainSamples: 1, trainBatches: 1, trainLoss: nil))
        try await good.send(big)
        #expect(try await inbox.next(from: PeerID("good"), timeout: .seconds(60)) == big)
        try await server.send(.shutdown(Shutdown(reason: "\(attempt)")), to: PeerID("good"))
        #expect(try await goodIncoming.next() == .shutdown(Shutdown(reason: "\(attempt)")))
    }
    #expect(await inbox.lostPeers.keys.map(\.name).sorted() == ["doomed-0", "doomed-1"])
    await good.close()
    await server.close()
}

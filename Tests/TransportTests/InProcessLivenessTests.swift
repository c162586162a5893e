import Foundation
import Testing
@testable import Transport

/// Short liveness for tests. Only dead or silenced peers can expire: live in-process peers are
/// renewed on every tick, so a loaded machine delays detection but never fakes it.
private let quick = Liveness(heartbeatInterval: .milliseconds(20), lease: .milliseconds(300))

@Test func inProcessWorkerReleasedWithoutCloseFailsItsPendingRequestsWithinTheLease() async throws {
    let server = try InProcessServer(liveness: quick)
    let inbox = ServerInbox(server)
    var doomed: InProcessWorker? = try server.connectWorker(name: "doomed")
    let alive = try server.connectWorker(name: "alive")
    try await doomed?.send(.register(Register(workerID: "doomed", clientIDs: [1])))
    _ = try await inbox.next(from: PeerID("doomed"), timeout: .seconds(30))
    let pending = Task {
        try await inbox.next(from: PeerID("doomed"), timeout: .seconds(120)) {
            if case .update = $0 { true } else { false }
        }
    }
    doomed = nil  // the worker's owner went away without closing it: it falls silent
    await #expect(throws: TransportError.peerLost(peer: "doomed", reason: "no message within the lease of 0.3 seconds"))
    {
        _ = try await pending.value
    }
    await #expect(throws: TransportError.self) { try await server.send(.shutdown(Shutdown()), to: PeerID("doomed")) }
    // The live worker kept its lease all along and is still served.
    #expect(await inbox.lostPeers.keys.sorted { $0.name < $1.name } == [PeerID("doomed")])
    try await server.send(.shutdown(Shutdown(reason: "still here")), to: PeerID("alive"))
    var it = alive.incoming.makeAsyncIterator()
    #expect(try await it.next() == .shutdown(Shutdown(reason: "still here")))
    await alive.close()
    await server.close()
}

@Test func aSilentInProcessWorkerIsLostThenTakenBackWhenItSpeaks() async throws {
    let server = try InProcessServer(liveness: quick)
    let inbox = ServerInbox(server)
    let worker = try server.connectWorker(name: "hung")
    let pending = Task { try await inbox.next(from: PeerID("hung"), timeout: .seconds(120)) }
    worker.silence()  // as a hung process: no heartbeats
    await #expect(throws: TransportError.peerLost(peer: "hung", reason: "no message within the lease of 0.3 seconds")) {
        _ = try await pending.value
    }
    // It speaks again: the server takes it back, as a ZeroMQ server does.
    worker.silence(false)
    try await worker.send(.error(ErrorReport(code: 3, text: "back")))
    let (peer, m) = try await inbox.next(timeout: .seconds(30))
    #expect(peer == PeerID("hung") && m == .error(ErrorReport(code: 3, text: "back")))
    #expect(await inbox.lostPeers.isEmpty)
    try await server.send(.shutdown(Shutdown()), to: PeerID("hung"))
    await worker.close()
    await server.close()
}

@Test func anInProcessWorkerDetectsASilentServerWithinTheLease() async throws {
    let server = try InProcessServer(liveness: quick)
    let worker = try server.connectWorker(name: "w")
    server.silence()  // a hung server: heartbeats go unanswered
    await #expect(throws: TransportError.peerLost(peer: "server", reason: "no message within the lease of 0.3 seconds"))
    {
        for try await _ in worker.incoming {}
    }
    await #expect(throws: TransportError.self) { try await worker.send(.heartbeat(Heartbeat(sequence: 1))) }
    await worker.close()
    await server.close()
}

@Test func inProcessLivenessIsValidated() {
    #expect(throws: TransportError.self) {
        try InProcessServer(liveness: Liveness(heartbeatInterval: .seconds(2), lease: .seconds(1)))
    }
    #expect(throws: TransportError.self) { try InProcessServer(liveness: .standard, eventCapacity: 0) }
}

@Test func aCancelledInboxWaitEndsAtOnceAndTheInboxGoesOn() async throws {
    let server = InProcessServer()
    let inbox = ServerInbox(server)
    let worker = try server.connectWorker(name: "w")
    // A wait with a long time limit, cancelled: it ends with CancellationError, not after the limit.
    let pending = Task { try await inbox.next(from: PeerID("w"), timeout: .seconds(3600)) }
    try await Task.sleep(for: .milliseconds(50))
    pending.cancel()
    try await withDeadline(600) {
        await #expect(throws: CancellationError.self) { _ = try await pending.value }
    }
    // The cancelled wait took nothing: the next message goes to the next wait.
    try await worker.send(.error(ErrorReport(code: 5, text: "after")))
    #expect(
        try await inbox.next(from: PeerID("w"), timeout: .seconds(30)) == .error(ErrorReport(code: 5, text: "after")))
    await worker.close()
    await server.close()
}

import Foundation
import Testing
@testable import Transport

let endpointKinds: [TransportKind] = TransportKind.allCases

@Test(arguments: endpointKinds)
func orderingPerPeerBothWays(kind: TransportKind) async throws {
    let h = try await EndpointHarness.make(kind, workers: 3)
    let perWorker = 400
    let received = try await withDeadline(30) {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in h.workers {
                group.addTask {
                    for i in 0..<perWorker { try await w.send(.error(ErrorReport(code: Int32(i), text: "m"))) }
                }
            }
            let got = await collectMessages(h.server, count: perWorker * h.workers.count)
            try await group.waitForAll()
            return got
        }
    }
    #expect(received.count == perWorker * 3)
    for name in h.names {
        let codes = received.filter { $0.0.name == name }.compactMap { (_, m) -> Int32? in
            if case let .error(e) = m { return e.code } else { return nil }
        }
        #expect(codes == (0..<Int32(perWorker)).map { $0 }, "order from \(name)")
    }
    // server -> each worker, in order
    for name in h.names {
        for i in 0..<perWorker { try await h.server.send(.shutdown(Shutdown(reason: "\(i)")), to: PeerID(name)) }
    }
    for w in h.workers {
        var reasons: [String] = []
        for try await m in w.incoming {
            if case let .shutdown(s) = m { reasons.append(s.reason) }
            if reasons.count == perWorker { break }
        }
        #expect(reasons == (0..<perWorker).map { "\($0)" })
    }
    await h.shutdown()
}

@Test(arguments: endpointKinds)
func multiMegabytePayloadsBothWays(kind: TransportKind) async throws {
    let h = try await EndpointHarness.make(kind, workers: 1)
    var rng = SplitMix64(seed: 5)
    let adapter = (0..<(3 << 20)).map { _ in Float(Int64(bitPattern: rng.next() >> 1) % 2001 - 1000) / 7 }  // 12 MB
    let start = Message.roundStart(RoundStart(round: 1, clientIDs: [0, 1], phase: .train, globalAdapter: adapter))
    try await h.server.send(start, to: PeerID(h.names[0]))
    var it = h.workers[0].incoming.makeAsyncIterator()
    let got = try await it.next()
    #expect(got == start)
    let update = Message.update(
        ClientUpdate(
            round: 1, clientID: 0, adapter: adapter.reversed(), trainSamples: 10,
            trainBatches: 10, trainLoss: 1.5))
    try await h.workers[0].send(update)
    let recv = await collectMessages(h.server, count: 1)
    #expect(recv.first?.1 == update)
    #expect(h.server.traffic.bytes(.update, .received) > 12 * (1 << 20))
    #expect(h.workers[0].traffic.bytes(.update, .sent) == h.server.traffic.bytes(.update, .received))
    #expect(h.workers[0].traffic.bytes(.roundStart, .received) == h.server.traffic.bytes(.roundStart, .sent))
    await h.shutdown()
}

@Test(arguments: endpointKinds)
func cleanShutdownWithMessagesInFlight(kind: TransportKind) async throws {
    let h = try await EndpointHarness.make(kind, workers: 2)
    try await withDeadline(20) {
        let senders = Task {
            var sent = 0
            do {
                while true {
                    for w in h.workers {
                        try await w.send(
                            .update(
                                ClientUpdate(
                                    round: 0, clientID: sent, adapter: [Float](repeating: 1, count: 256),
                                    trainSamples: 1, trainBatches: 1, trainLoss: 0)))
                    }
                    sent += 1
                    await Task.yield()  // sends return at once; let the rest of the test run
                }
            } catch {}
            return sent
        }
        // Let traffic build up, consume a little, then close everything mid-stream.
        _ = await collectMessages(h.server, count: 50)
        await h.server.close()
        for w in h.workers { await w.close() }
        let sent = await senders.value
        #expect(sent >= 25)
        for await _ in h.server.events {}  // finishes after close
        for w in h.workers {
            await #expect(throws: TransportError.closed) { try await w.send(.heartbeat(Heartbeat(sequence: 0))) }
        }
        await #expect(throws: TransportError.closed) {
            try await h.server.send(.shutdown(Shutdown()), to: PeerID(h.names[0]))
        }
    }
    await h.shutdown()
}

@Test func thousandWorkersThroughOneInProcessServer() async throws {
    let h = try await EndpointHarness.make(.inProcess, workers: 1000)
    try await withDeadline(30) {
        async let got = collectMessages(h.server, count: 2000)
        for (i, w) in h.workers.enumerated() {
            try await w.send(.register(Register(workerID: h.names[i], clientIDs: [i])))
            try await w.send(
                .update(
                    ClientUpdate(
                        round: 0, clientID: i, adapter: [Float(i)], trainSamples: 1,
                        trainBatches: 1, trainLoss: nil)))
        }
        let events = await got
        #expect(events.count == 2000)
        #expect(Set(events.map(\.0.name)) == Set(h.names))
        for (peer, m) in events {
            if case let .update(u) = m { #expect("worker-\(u.clientID)" == peer.name) }
        }
    }
    await h.shutdown()
}

@Test func inProcessPeerLossIsReported() async throws {
    let server = InProcessServer()
    let a = try server.connectWorker(name: "a")
    #expect(throws: TransportError.invalidConfiguration("worker name 'a' is already connected")) {
        try server.connectWorker(name: "a")
    }
    await a.close()
    var it = server.events.makeAsyncIterator()
    guard case let .peerLost(p, e)? = await it.next() else { Issue.record("no peerLost event"); return }
    #expect(p == PeerID("a"))
    #expect(e == .peerLost(peer: "a", reason: "disconnected"))
    await #expect(throws: TransportError.peerLost(peer: "a", reason: "disconnected")) {
        try await server.send(.shutdown(Shutdown()), to: PeerID("a"))
    }
    await #expect(throws: TransportError.unknownPeer("b")) {
        try await server.send(.shutdown(Shutdown()), to: PeerID("b"))
    }
    await server.close()
}

@Test func serverInboxMatchesBuffersTimesOutAndFailsOnPeerLoss() async throws {
    let server = InProcessServer()
    let inbox = ServerInbox(server)
    let a = try server.connectWorker(name: "a"), b = try server.connectWorker(name: "b")
    try await a.send(.heartbeat(Heartbeat(sequence: 1)))  // consumed by the endpoint, never delivered
    try await a.send(.error(ErrorReport(code: 1, text: "first")))
    try await b.send(.error(ErrorReport(code: 2, text: "from b")))
    try await a.send(.shutdown(Shutdown(reason: "second")))
    // A match further back is found; what it skipped stays buffered in order.
    let s = try await inbox.next(from: PeerID("a"), timeout: .seconds(5)) {
        if case .shutdown = $0 { true } else { false }
    }
    #expect(s == .shutdown(Shutdown(reason: "second")))
    #expect(try await inbox.next(timeout: .seconds(5)) == (PeerID("a"), .error(ErrorReport(code: 1, text: "first"))))
    #expect(
        try await inbox.next(from: PeerID("b"), timeout: .seconds(5)) == .error(ErrorReport(code: 2, text: "from b")))
    await #expect(throws: TransportError.timeout("no matching message from b within 0.05 seconds")) {
        _ = try await inbox.next(from: PeerID("b"), timeout: .milliseconds(50))
    }
    // A pending wait on a peer fails as soon as the peer is lost.
    let pending = Task { try await inbox.next(from: PeerID("a"), timeout: .seconds(60)) }
    try await Task.sleep(for: .milliseconds(50))
    await a.close()
    await #expect(throws: TransportError.peerLost(peer: "a", reason: "disconnected")) { _ = try await pending.value }
    await #expect(throws: TransportError.peerLost(peer: "a", reason: "disconnected")) {
        _ = try await inbox.next(from: PeerID("a"), timeout: .seconds(1))
    }
    await server.close()
    await #expect(throws: TransportError.closed) { _ = try await inbox.next(timeout: .seconds(5)) }
}

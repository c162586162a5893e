import CZeroMQ
import Foundation
import Testing
@_spi(Bench) @testable import Transport

@Test(arguments: [TransportKind.zmqInproc, .zmqTCP])
func thousandWorkersThroughOneRouter(kind: TransportKind) async throws {
    // Its own context (two I/O threads) so 1,000 connections do not slow other tests' sockets.
    let context = try ZMQContext(ioThreads: 2)
    // Raw dealers send no heartbeats: a lease longer than the test.
    let liveness = Liveness(heartbeatInterval: .seconds(1), lease: .seconds(600))
    let server = try ZMQServerEndpoint(
        context: context, options: ZMQServerOptions(endpoint: testEndpoint(kind), liveness: liveness))
    let inbox = ServerInbox(server)
    let endpoint = server.boundEndpoint
    let n = 1000
    // 1,000 DEALER sockets driven by one thread: each registers, sends an update, awaits its selection.
    async let clients: [Int] = onThread {
        let sockets = try (0..<n).map { try rawDealer(endpoint, routingID: "w\($0)", context: context) }
        for (i, s) in sockets.enumerated() {
            _ = try s.send(MessageCodec.encode(.register(Register(workerID: "w\(i)", clientIDs: [i]))), blocking: true)
            _ = try s.send(
                MessageCodec.encode(
                    .update(
                        ClientUpdate(
                            round: 0, clientID: i, adapter: [Float(i), 1],
                            trainSamples: i, trainBatches: 1, trainLoss: 0.5))), blocking: true)
        }
        // Collect the answers, polling all sockets, with one overall deadline (never hangs).
        var chosen = [Int](repeating: -1, count: n)
        var missing = Set(0..<n)
        let deadline = ContinuousClock.now + .seconds(60)
        while !missing.isEmpty && ContinuousClock.now < deadline {
            var progressed = false
            for i in missing {
                guard let r = try sockets[i].receive() else { continue }
                progressed = true
                missing.remove(i)
                if case let .selection(sel) = try MessageCodec.decodeFrames(r.frames) {
                    chosen[i] = sel.chosen[i]?.first ?? -2
                }
            }
            if !progressed { Thread.sleep(forTimeInterval: 0.005) }
        }
        for s in sockets { s.close() }
        return chosen
    }
    var peers: [PeerID: Int] = [:]
    for _ in 0..<(2 * n) {
        let (peer, m) = try await inbox.next(timeout: .seconds(60))
        if case let .update(u) = m {
            #expect(peer.name == "w\(u.clientID)" && u.adapter == [Float(u.clientID), 1])
            peers[peer] = u.clientID
        }
    }
    #expect(peers.count == n)
    for (peer, id) in peers {
        try await server.send(.selection(ClusterSelection(round: 0, chosen: [id: [id * 3]])), to: peer)
    }
    let got = try await clients
    #expect(got == (0..<n).map { $0 * 3 })
    #expect(server.traffic.messages(.update, .received) == n)
    #expect(server.traffic.messages(.selection, .sent) == n)
    await server.close()
}

@Test func ipcRoundTrip() async throws {
    let path = "ipc:///tmp/fedhds-test-\(UUID().uuidString).sock"
    let server = try ZMQServerEndpoint(options: ZMQServerOptions(endpoint: path))
    let worker = try ZMQWorkerEndpoint(options: ZMQWorkerOptions(endpoint: server.boundEndpoint, name: "ipc-worker"))
    let inbox = ServerInbox(server)
    try await worker.send(.register(Register(workerID: "ipc-worker", clientIDs: [4])))
    let m = try await inbox.next(from: PeerID("ipc-worker"), timeout: .seconds(10))
    #expect(m == .register(Register(workerID: "ipc-worker", clientIDs: [4])))
    try await server.send(.shutdown(Shutdown(reason: "bye")), to: PeerID("ipc-worker"))
    var it = worker.incoming.makeAsyncIterator()
    #expect(try await it.next() == .shutdown(Shutdown(reason: "bye")))
    await worker.close()
    await server.close()
}

@Test func deadWorkerFailsPendingRequestsWithinTheLease() async throws {
    // A lease of 1 s against heartbeats every 50 ms: a live peer would have to be starved for
    // twenty intervals to be taken for dead, even with other tests loading both cores.
    let liveness = Liveness(
        heartbeatInterval: .milliseconds(50), lease: .seconds(1),
        zmtpInterval: .milliseconds(100), zmtpTimeout: .milliseconds(800))
    let context = try ZMQContext()
    let server = try ZMQServerEndpoint(
        context: context, options: ZMQServerOptions(endpoint: "tcp://127.0.0.1:*", liveness: liveness))
    let inbox = ServerInbox(server)
    let worker = try ZMQWorkerEndpoint(
        context: context, options: ZMQWorkerOptions(endpoint: server.boundEndpoint, name: "doomed", liveness: liveness))
    try await worker.send(.register(Register(workerID: "doomed", clientIDs: [1])))
    _ = try await inbox.next(from: PeerID("doomed"), timeout: .seconds(10))
    // Alive: heartbeats keep the lease for much longer than the lease itself.
    try await Task.sleep(for: .milliseconds(2500))
    #expect(await inbox.lostPeers.isEmpty)
    // A pending request, then the worker dies.
    let pending = Task {
        try await inbox.next(from: PeerID("doomed"), timeout: .seconds(30)) {
            if case .update = $0 { return true } else { return false }
        }
    }
    try await Task.sleep(for: .milliseconds(50))
    await worker.close()
    // The error names the lease, so the lease (not the request's own 30 s limit) detected it.
    await #expect(throws: TransportError.peerLost(peer: "doomed", reason: "no message within the lease of 1.0 seconds"))
    {
        _ = try await pending.value
    }
    await #expect(throws: TransportError.self) { try await server.send(.shutdown(Shutdown()), to: PeerID("doomed")) }
    await server.close()
}

/// Sending without pause for several leases must not look like silence to either side: with small
/// messages heartbeats interleave; with large ones and a tiny high-water mark the worker's sends are
/// held back most of the time and the server's answers queue behind its data.
@Test(arguments: [(64, Int32(10_000)), (256 << 10, Int32(2))])
func aBusyWorkerKeepsItsLease(messageBytes: Int, highWaterMark: Int32) async throws {
    let liveness = Liveness(
        heartbeatInterval: .milliseconds(50), lease: .milliseconds(800),
        zmtpInterval: .milliseconds(100), zmtpTimeout: .milliseconds(800))
    let context = try ZMQContext()
    let server = try ZMQServerEndpoint(
        context: context,
        options: ZMQServerOptions(
            endpoint: "tcp://127.0.0.1:*", liveness: liveness,
            highWaterMark: highWaterMark))
    let inbox = ServerInbox(server)
    let worker = try ZMQWorkerEndpoint(
        context: context,
        options: ZMQWorkerOptions(
            endpoint: server.boundEndpoint, name: "busy",
            liveness: liveness, highWaterMark: highWaterMark))
    let message = Message.update(
        ClientUpdate(
            round: 0, clientID: 0, adapter: [Float](repeating: 1, count: messageBytes / 4),
            trainSamples: 1, trainBatches: 1, trainLoss: nil))
    let until = ContinuousClock.now + .milliseconds(2500)  // about three leases
    var sent = 0
    while ContinuousClock.now < until {
        try await worker.send(message)
        sent += 1
        if sent % 64 == 0 { try await Task.sleep(for: .milliseconds(1)) }  // a busy worker, not a flood
    }
    for _ in 0..<sent { _ = try await inbox.next(from: PeerID("busy"), timeout: .seconds(10)) }
    #expect(await inbox.lostPeers.isEmpty)
    try await worker.send(.shutdown(Shutdown()))  // still connected
    _ = try await inbox.next(from: PeerID("busy"), timeout: .seconds(10))
    await worker.close()
    await server.close()
}

@Test func workerDetectsALostServerWithinTheLease() async throws {
    let liveness = Liveness(
        heartbeatInterval: .milliseconds(50), lease: .milliseconds(500),
        zmtpInterval: .milliseconds(100), zmtpTimeout: .milliseconds(400))
    let context = try ZMQContext()
    let server = try ZMQServerEndpoint(
        context: context, options: ZMQServerOptions(endpoint: "tcp://127.0.0.1:*", liveness: liveness))
    let worker = try ZMQWorkerEndpoint(
        context: context, options: ZMQWorkerOptions(endpoint: server.boundEndpoint, name: "w", liveness: liveness))
    try await waitUntil(60) { worker.traffic.messages(.heartbeat, .received) >= 3 }  // answered: connected
    await server.close()
    // The error names the lease: the lease ran out, nothing else ended the stream.
    await #expect(throws: TransportError.peerLost(peer: "server", reason: "no message within the lease of 0.5 seconds"))
    {
        for try await _ in worker.incoming {}
    }
    await #expect(throws: TransportError.self) { try await worker.send(.shutdown(Shutdown())) }
    await worker.close()
}

@Test func unknownPeerAndOversizedFramesAreRefused() async throws {
    let limits = CodecLimits(maxFloats: 1000, maxStringBytes: 100, maxEnvelopeBytes: 1000)
    let server = try ZMQServerEndpoint(options: ZMQServerOptions(endpoint: "tcp://127.0.0.1:*", limits: limits))
    let inbox = ServerInbox(server)
    await #expect(throws: TransportError.unknownPeer("nobody")) {
        try await server.send(.shutdown(Shutdown()), to: PeerID("nobody"))
    }
    let endpoint = server.boundEndpoint
    // A frame above ZMQ_MAXMSGSIZE (5000 bytes here): libzmq drops the connection, nothing arrives.
    try await onThread {
        let s = try rawDealer(endpoint, routingID: "big")
        _ = try s.send([Array(repeating: 7, count: 100_000)], blocking: true)
        Thread.sleep(forTimeInterval: 0.3)
        s.close()
    }
    let good = try ZMQWorkerEndpoint(options: ZMQWorkerOptions(endpoint: endpoint, name: "good", limits: limits))
    let update = Message.update(
        ClientUpdate(
            round: 0, clientID: 1, adapter: [Float](repeating: 0.5, count: 1000),
            trainSamples: 1, trainBatches: 1, trainLoss: nil))
    try await good.send(update)
    let (peer, m) = try await inbox.next(timeout: .seconds(10))
    #expect(peer == PeerID("good") && m == update)
    #expect(await inbox.rejected.isEmpty)
    await good.close()
    await server.close()
}

/// The receiving socket checks float frames while copying them out of libzmq: a frame with a
/// NaN or an infinity (in the vector blocks or the tail) is rejected naming its first bad index,
/// and a good frame after it decodes bit for bit.
@Test func nonFiniteFloatFramesFromTheWireAreRejectedNamingTheirIndex() async throws {
    let server = try ZMQServerEndpoint(options: ZMQServerOptions(endpoint: "tcp://127.0.0.1:*"))
    let inbox = ServerInbox(server)
    let adapter = (0..<1000).map { Float($0) * 0.001 - 0.3 }
    let update = Message.update(
        ClientUpdate(round: 2, clientID: 1, adapter: adapter, trainSamples: 1, trainBatches: 1, trainLoss: nil))
    let frames = try MessageCodec.encode(update)
    let withBits: @Sendable (UInt32, Int) -> [[UInt8]] = { bits, index in
        var f = frames
        withUnsafeBytes(of: bits.littleEndian) { f[1].replaceSubrange(index * 4..<index * 4 + 4, with: $0) }
        return f
    }
    let endpoint = server.boundEndpoint
    try await onThread {
        let s = try rawDealer(endpoint, routingID: "raw")
        _ = try s.send(withBits(0x7fc0_0000, 700), blocking: true)  // NaN inside the 64-value blocks
        _ = try s.send(withBits(0xff80_0000, 999), blocking: true)  // -infinity in the tail
        _ = try s.send(frames, blocking: true)
        Thread.sleep(forTimeInterval: 0.3)
        s.close()
    }
    let (peer, m) = try await inbox.next(timeout: .seconds(10))
    #expect(peer == PeerID("raw") && m == update)
    let rejected = await inbox.rejected
    #expect(
        rejected.map(\.1) == [
            .nonFinite(field: "update.adapter", index: 700), .nonFinite(field: "update.adapter", index: 999)
        ])
    #expect(rejected.allSatisfy { $0.0 == PeerID("raw") })
    await server.close()
}

@Test func closeNeverHangsEvenWithAnUnreachableServer() async throws {
    // Nothing listens on this inproc name: sends queue, close still returns at once.
    let worker = try ZMQWorkerEndpoint(
        options: ZMQWorkerOptions(endpoint: "inproc://nobody-\(UUID().uuidString)", name: "w"))
    for _ in 0..<100 { try await worker.send(.heartbeat(Heartbeat(sequence: 1))) }
    try await withDeadline(10) { await worker.close() }
    await #expect(throws: TransportError.closed) { try await worker.send(.heartbeat(Heartbeat(sequence: 2))) }
}

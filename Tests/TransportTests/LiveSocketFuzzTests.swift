import Foundation
import Testing
@_spi(Bench) @testable import Transport

/// 100,000 random and mutated multipart messages into a live ROUTER over tcp while a good worker
/// keeps talking to the server: every fuzz message is accounted for (decoded or rejected with a
/// TransportError), nothing crashes or hangs, and the good worker is served throughout.
@Test func liveServerSurvivesFuzzedFramesAndKeepsServingGoodPeers() async throws {
    let server = try ZMQServerEndpoint(options: ZMQServerOptions(endpoint: "tcp://127.0.0.1:*"))
    let endpoint = server.boundEndpoint
    let good = try ZMQWorkerEndpoint(options: ZMQWorkerOptions(endpoint: endpoint, name: "good"))
    let total = 100_000
    let seeds = try FuzzFrames.seeds()
    // The server: acknowledges every error report of the good worker, counts what the fuzzer caused.
    let serverSide = Task { () -> (messages: Int, rejected: Int, acked: Int) in
        var messages = 0, rejected = 0, acked = 0
        for await e in server.events {
            switch e {
            case let .message(p, m) where p.name == "good":
                if case let .error(r) = m {
                    try? await server.send(.error(ErrorReport(code: r.code, text: "ack")), to: p)
                    acked += 1
                }
            case .message: messages += 1
            case let .rejected(p, _):
                #expect(p?.name == "fuzzer")
                rejected += 1
            case .peerLost: break
            }
        }
        return (messages, rejected, acked)
    }
    // The fuzzer keeps its socket open (linger 0 would drop queued frames) until told to close.
    let release = DispatchSemaphore(value: 0)
    let fuzzer = Task {
        try await onThread {
            var rng = SplitMix64(seed: 77)
            let s = try rawDealer(endpoint, routingID: "fuzzer")
            for _ in 0..<total {
                let frames = FuzzFrames.make(&rng, from: seeds)
                _ = try s.send(frames.isEmpty ? [[]] : frames, blocking: true)
            }
            release.wait()
            s.close()
        }
    }
    // Meanwhile the good worker talks to the server and gets every answer, in order. A lost answer
    // must fail the test, not hang it: unless the exchange ends within two minutes, the watchdog
    // closes the good worker, which ends `incoming`.
    let goodCount = 300
    var acks: [Int32] = []
    var it = good.incoming.makeAsyncIterator()
    let watchdog = Task {
        guard (try? await Task.sleep(for: .seconds(120))) != nil else { return }
        await good.close()
    }
    for i in 0..<goodCount {
        try await good.send(.error(ErrorReport(code: Int32(i), text: "ping")))
        guard case let .error(r)? = try await it.next() else { break }
        acks.append(r.code)
    }
    watchdog.cancel()
    #expect(acks == (0..<Int32(goodCount)).map { $0 }, "the good worker got \(acks.count) of \(goodCount) answers")
    try #require(acks.count == goodCount)
    // Every fuzz message reached the server and was either decoded or rejected.
    let goodSent: @Sendable () -> Int = {
        good.traffic.snapshot().filter { $0.direction == .sent }.reduce(0) { $0 + $1.messages }
    }
    try await waitUntil(30) {
        let received = server.traffic.snapshot().filter { $0.direction == .received }.reduce(0) { $0 + $1.messages }
        return received + server.traffic.rejected.messages == total + goodSent()
    }
    // Still serving after the storm.
    try await good.send(.error(ErrorReport(code: 999, text: "after")))
    if case let .error(r)? = try await it.next() {
        #expect(r.code == 999)
    } else {
        Issue.record("no answer after fuzzing")
    }
    release.signal()
    try await fuzzer.value
    await good.close()
    await server.close()
    let counts = await serverSide.value
    #expect(counts.acked == goodCount + 1)
    #expect(counts.rejected == server.traffic.rejected.messages)
    #expect(counts.rejected > 90_000, "rejected \(counts.rejected) of \(total)")
}

import Foundation
import Synchronization
import Testing
import Transport
@testable import Actors

/// A worker whose clients train while every thread of the cooperative pool is busy keeps its
/// lease: heartbeats are sent and answered by the ZeroMQ socket threads, not by tasks.
@Suite(.serialized) struct HeartbeatStarvationTests {
    /// Training that holds its thread for `spin` seconds of busy CPU (as model work does).
    struct SpinningCompute: FederatedCompute {
        let inner: ArithmeticCompute
        let spin: Double
        var adapterSize: Int { inner.adapterSize }
        var clientCount: Int { inner.clientCount }
        func localCount(client: Int) throws -> Int { try inner.localCount(client: client) }
        func features(client: Int, adapter: [Float]?, model: MethodPlan.FeatureModel,
                      layers: MethodPlan.Layers) async throws -> FeatureMatrix {
            try await inner.features(client: client, adapter: adapter, model: model, layers: layers)
        }
        func perplexities(client: Int, adapter: [Float]) async throws -> [Double] {
            try await inner.perplexities(client: client, adapter: adapter)
        }
        func train(client: Int, round: Int, samples: [Int], adapter: [Float],
                   optimizer: MethodPlan.Optimizer) async throws -> TrainOutcome {
            HeartbeatStarvationTests.burn(spin)
            return try await inner.train(client: client, round: round, samples: samples, adapter: adapter,
                                         optimizer: optimizer)
        }
        func initialAdapter() throws -> [Float] { try inner.initialAdapter() }
        func evaluate(adapter: [Float]) async throws -> Double { try await inner.evaluate(adapter: adapter) }
        func evaluateWithPredictions(adapter: [Float]) async throws -> EvaluationOutcome {
            try await inner.evaluateWithPredictions(adapter: adapter)
        }
        func testLoss(adapter: [Float]) async throws -> Double { try await inner.testLoss(adapter: adapter) }
    }

    /// Busy CPU on the calling thread for `seconds` (never yields).
    static func burn(_ seconds: Double) {
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var x = 1.0
        while ContinuousClock.now < end {
            for _ in 0..<10_000 { x = x * 1.000_000_1 + 1e-9 }
        }
        if x == 0 { print(x) }
    }

    /// Longest time between increments of `counter`, sampled every 5 ms by its own thread until
    /// `stop` is set.
    final class GapMeter: @unchecked Sendable {  // state under `lock`
        private let lock = Mutex((last: ContinuousClock.now, count: -1, gap: Duration.zero, stop: false))
        init(_ counter: @escaping @Sendable () -> Int) {
            let t = Thread { [self] in
                while true {
                    let done = lock.withLock { s -> Bool in
                        let n = counter()
                        let now = ContinuousClock.now
                        if n != s.count {
                            if s.count >= 0 { s.gap = max(s.gap, now - s.last) }
                            s.count = n
                            s.last = now
                        }
                        return s.stop
                    }
                    if done { return }
                    Thread.sleep(forTimeInterval: 0.005)
                }
            }
            t.start()
        }
        func finish() -> Duration { lock.withLock { $0.stop = true; return $0.gap } }
    }

    final class Ticks: Sendable {
        let count = Atomic<Int>(0)
    }

    @Test func trainingClientsDoNotStarveHeartbeats() async throws {
        let liveness = Liveness(heartbeatInterval: .milliseconds(100), lease: .milliseconds(1500))
        let server = try ZMQServerEndpoint(options: ZMQServerOptions(endpoint: "tcp://127.0.0.1:*", liveness: liveness))
        let inbox = ServerInbox(server)
        let options = ZMQWorkerOptions(endpoint: server.boundEndpoint, name: "busy", liveness: liveness)
        let endpoint = try ZMQWorkerEndpoint(options: options)
        var config = RunConfig()
        config.method = .fedit
        config.clients = 2
        let compute = SpinningCompute(inner: ArithmeticCompute(clientCount: 2, seed: 3), spin: 2)
        let host = try WorkerHost(name: "busy", endpoint: endpoint, config: config, compute: compute, clientIDs: [0, 1])
        let worker = Task { try await host.run() }
        let (peer, registration) = try await inbox.next(timeout: .seconds(60))
        guard case .register = registration else {
            Issue.record("expected a registration, got \(registration)")
            return
        }

        // Heartbeats the server receives, and a ticker on the cooperative pool (what a heartbeat
        // sent by a task would be), measured while both clients train and every pool thread spins.
        let beats = GapMeter { server.traffic.messages(.heartbeat, .received) }
        let ticks = Ticks()
        let ticker = Task {
            while !Task.isCancelled {
                ticks.count.add(1, ordering: .relaxed)
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let pool = GapMeter { ticks.count.load(ordering: .relaxed) }
        let start = RoundStart(round: 1, clientIDs: [0, 1], method: config.method.rawValue, phase: RoundPhase.train,
                               seed: config.seed, globalAdapter: try compute.initialAdapter())
        try await server.send(.roundStart(start), to: peer)
        let hogs = (0..<ProcessInfo.processInfo.activeProcessorCount).map { _ in Task { Self.burn(4) } }
        var updates = 0
        while updates < 2 {
            let m = try await inbox.next(from: peer, timeout: .seconds(120))
            if case .update = m { updates += 1 } else { Issue.record("unexpected \(m)") }
        }
        for h in hogs { await h.value }
        let beatGap = beats.finish()
        let poolGap = pool.finish()
        ticker.cancel()

        // The pool really was starved (so a task-driven heartbeat would have lapsed the lease) ...
        #expect(poolGap > liveness.lease, "the cooperative pool was not occupied long enough (largest gap \(poolGap))")
        // ... yet the server heard the worker within the lease, and nobody was declared lost. (The
        // gap is measured by a thread of its own, which the loaded host may also hold back.)
        #expect(beatGap < liveness.lease, "largest gap between heartbeats \(beatGap)")
        #expect(await inbox.lostPeers.isEmpty)
        try await server.send(.shutdown(Shutdown(reason: RoundPhase.runFinished)), to: peer)
        try await worker.value
        await server.close()
    }
}

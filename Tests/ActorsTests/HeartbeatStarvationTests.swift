import Foundation
import Synchronization
import Testing
import Transport
@testable import Actors

/// A worker whose clients train while every thread its tasks run on is held keeps its lease:
/// heartbeats are sent and answered by the ZeroMQ socket threads, not by tasks. The worker runs on
/// a pool of its own (`ThreadPool`, as wide as the cooperative pool; its actors follow the task's
/// executor preference), so that holding it does not hold back the other suites when tests run in
/// parallel; tasks the worker starts inherit that pool, so a heartbeat sent by a worker's task
/// would starve here. The threads are held blocked, not spinning: CPU contention with the
/// heartbeat threads is the OS scheduler's to share, and spinning would slow the other suites.
@Suite(.serialized) struct HeartbeatStarvationTests {
    /// A fixed set of threads as a task executor: jobs run in arrival order on whichever is free.
    final class ThreadPool: TaskExecutor, @unchecked Sendable {  // state under `jobs`
        private let jobs = Mutex((queue: [UnownedJob](), stop: false))
        private let ready = DispatchSemaphore(value: 0)
        /// The pool's threads (pthread_t).
        private let members = Mutex(Set<UInt>())

        /// Whether the caller runs on one of the pool's threads.
        var isCurrentThread: Bool { members.withLock { $0.contains(UInt(pthread_self())) } }

        init(threads: Int) {
            for i in 0..<threads {
                let t = Thread { [self] in
                    members.withLock { _ = $0.insert(UInt(pthread_self())) }
                    work()
                }
                t.name = "heartbeat-test-pool-\(i)"
                t.start()
            }
        }

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            jobs.withLock { $0.queue.append(job) }
            ready.signal()
        }

        private func work() {
            while true {
                ready.wait()
                let next = jobs.withLock { s -> UnownedJob?? in
                    s.stop ? .some(nil) : (s.queue.isEmpty ? nil : s.queue.removeFirst())
                }
                switch next {
                case .some(nil): ready.signal(); return  // stopping: wake the next thread too
                case let .some(job?): job.runSynchronously(on: asUnownedTaskExecutor())
                case nil: continue
                }
            }
        }

        func shutdown() {
            jobs.withLock { $0.stop = true }
            ready.signal()
        }
    }

    /// Training that holds its thread for `hold` seconds (as model work does).
    struct HoldingCompute: FederatedCompute {
        let inner: ArithmeticCompute
        let hold: Double
        let pool: ThreadPool
        /// Trainings that ran on a thread of the test's pool.
        let onPool = Ticks()
        var adapterSize: Int { inner.adapterSize }
        var clientCount: Int { inner.clientCount }
        func localCount(client: Int) throws -> Int { try inner.localCount(client: client) }
        func features(
            client: Int, adapter: [Float]?, model: MethodPlan.FeatureModel,
            layers: MethodPlan.Layers
        ) async throws -> FeatureMatrix {
            try await inner.features(client: client, adapter: adapter, model: model, layers: layers)
        }
        func perplexities(client: Int, adapter: [Float]) async throws -> [Double] {
            try await inner.perplexities(client: client, adapter: adapter)
        }
        func train(
            client: Int, round: Int, samples: [Int], adapter: [Float],
            optimizer: MethodPlan.Optimizer
        ) async throws -> TrainOutcome {
            if pool.isCurrentThread { onPool.count.add(1, ordering: .relaxed) }
            HeartbeatStarvationTests.hold(hold)
            return try await inner.train(
                client: client, round: round, samples: samples, adapter: adapter,
                optimizer: optimizer)
        }
        func initialAdapter() throws -> [Float] { try inner.initialAdapter() }
        func evaluate(adapter: [Float]) async throws -> Double { try await inner.evaluate(adapter: adapter) }
        func evaluateWithPredictions(adapter: [Float]) async throws -> EvaluationOutcome {
            try await inner.evaluateWithPredictions(adapter: adapter)
        }
        func testLoss(adapter: [Float]) async throws -> Double { try await inner.testLoss(adapter: adapter) }
    }

    /// Holds the calling thread for `seconds` without yielding it, as a long model kernel does
    /// (blocked rather than spinning, so that the test costs no CPU and slows no other test).
    static func hold(_ seconds: Double) {
        Thread.sleep(forTimeInterval: seconds)
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
        func finish() -> Duration {
            lock.withLock {
                $0.stop = true; return $0.gap
            }
        }
    }

    final class Ticks: Sendable {
        let count = Atomic<Int>(0)
    }

    @Test func trainingClientsDoNotStarveHeartbeats() async throws {
        let pool = ThreadPool(threads: ProcessInfo.processInfo.activeProcessorCount)
        defer { pool.shutdown() }
        try await busyWorker(on: pool)
    }

    func busyWorker(on threads: ThreadPool) async throws {
        let liveness = Liveness(heartbeatInterval: .milliseconds(100), lease: .seconds(3))
        let server = try ZMQServerEndpoint(
            options: ZMQServerOptions(
                endpoint: "tcp://127.0.0.1:*",
                liveness: liveness))
        let inbox = ServerInbox(server)
        let options = ZMQWorkerOptions(endpoint: server.boundEndpoint, name: "busy", liveness: liveness)
        let endpoint = try ZMQWorkerEndpoint(options: options)
        var config = RunConfig()
        config.method = .fedit
        config.clients = 2
        let compute = HoldingCompute(inner: ArithmeticCompute(clientCount: 2, seed: 3), hold: 2, pool: threads)
        let host = try WorkerHost(name: "busy", endpoint: endpoint, config: config, compute: compute, clientIDs: [0, 1])
        let worker = Task(executorPreference: threads) { try await host.run() }
        let (peer, registration) = try await inbox.next(timeout: .seconds(60))
        guard case .register = registration else {
            Issue.record("expected a registration, got \(registration)")
            return
        }

        // Heartbeats the server receives, and a ticker on the worker's pool (what a heartbeat sent
        // by one of its tasks would be), measured while both clients train and every pool thread is held.
        let beats = GapMeter { server.traffic.messages(.heartbeat, .received) }
        let ticks = Ticks()
        let ticker = Task(executorPreference: threads) {
            while !Task.isCancelled {
                ticks.count.add(1, ordering: .relaxed)
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let pool = GapMeter { ticks.count.load(ordering: .relaxed) }
        let start = RoundStart(round: 1, clientIDs: [0, 1], phase: .train, globalAdapter: try compute.initialAdapter())
        try await server.send(.roundStart(start), to: peer)
        let hogs = (0..<ProcessInfo.processInfo.activeProcessorCount).map { _ in
            Task(executorPreference: threads) { Self.hold(4) }
        }
        var updates = 0
        while updates < 2 {
            let m = try await inbox.next(from: peer, timeout: .seconds(120))
            if case .update = m { updates += 1 } else { Issue.record("unexpected \(m)") }
        }
        for h in hogs { await h.value }
        let beatGap = beats.finish()
        let poolGap = pool.finish()
        ticker.cancel()
        await ticker.value

        // The pool really was starved (so a task-driven heartbeat would have lapsed the lease) ...
        #expect(poolGap > liveness.lease, "the worker's pool was not occupied long enough (largest gap \(poolGap))")
        // ... yet the server heard the worker within the lease, and nobody was declared lost. (The
        // gap is measured by a thread of its own, which the loaded host may also hold back.)
        #expect(beatGap < liveness.lease, "largest gap between heartbeats \(beatGap)")
        #expect(await inbox.lostPeers.isEmpty)
        #expect(compute.onPool.count.load(ordering: .relaxed) == 2, "the clients did not train on the worker's pool")
        try await server.send(.shutdown(Shutdown(reason: RoundProtocol.runFinished)), to: peer)
        try await worker.value
        await server.close()
    }
}

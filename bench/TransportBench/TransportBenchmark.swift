import CZeroMQ
import Foundation
import Glibc
@_spi(Bench) import Transport

/// Measurements for `bench/transport.sh` (run through `fedhds transport-bench`; a target of its
/// own, outside the Transport library, which shows it the socket layer as `@_spi(Bench)`), over tcp
/// loopback with a fresh context: the thin socket wrapper alone (DEALER -> ROUTER, copying sends
/// and receives, as pyzmq does by default) and the full endpoints (encoding, checks, thread hops).
public enum TransportBenchmark {
    /// Messages per second of `bytes`-byte messages, DEALER -> ROUTER, first to last received.
    public static func socketThroughput(bytes: Int, count: Int, highWaterMark: Int32) throws -> Double {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: ZMQ_ROUTER)
        try router.set(ZMQ_RCVHWM, highWaterMark)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.getString(ZMQ_LAST_ENDPOINT)
        let dealer = try ZMQSocket(context: context, type: ZMQ_DEALER)
        try dealer.set(ZMQ_SNDHWM, highWaterMark)
        try dealer.connect(endpoint)
        let payload = [UInt8](repeating: 0xAB, count: bytes)
        let sender = SocketBox(dealer)
        let done = DispatchSemaphore(value: 0)
        let t = Thread {
            let s = sender.take()
            for _ in 0..<count { _ = try? s.send([payload], blocking: true) }
            done.wait()
            s.close()
        }
        t.start()
        var first = ContinuousClock.now
        for i in 0..<count {
            _ = try router.receive(blocking: true)
            if i == 0 { first = .now }
        }
        let elapsed = ContinuousClock.now - first
        done.signal()
        router.close()
        return Double(count - 1) / seconds(elapsed)
    }

    /// Seconds per round trip of a `bytes`-byte request and its echo, DEALER <-> ROUTER.
    public static func socketRoundTrip(bytes: Int, count: Int) throws -> Double {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: ZMQ_ROUTER)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.getString(ZMQ_LAST_ENDPOINT)
        let dealer = try ZMQSocket(context: context, type: ZMQ_DEALER)
        try dealer.connect(endpoint)
        let echo = SocketBox(router)
        let t = Thread {
            let r = echo.take()
            for _ in 0..<(count + 10) {
                guard let m = try? r.receive(blocking: true) else { break }
                _ = try? r.send(m.frames, blocking: true)
            }
            r.close()
        }
        t.start()
        let payload = [UInt8](repeating: 0xCD, count: bytes)
        for _ in 0..<10 { _ = try dealer.send([payload], blocking: true); _ = try dealer.receive(blocking: true) }
        let start = ContinuousClock.now, cpu0 = cpuSeconds()
        for _ in 0..<count { _ = try dealer.send([payload], blocking: true); _ = try dealer.receive(blocking: true) }
        let elapsed = ContinuousClock.now - start
        note("socket rtt: cpu us per round trip \((cpuSeconds() - cpu0) / Double(count) * 1e6)")
        dealer.close()
        return seconds(elapsed) / Double(count)
    }

    /// Messages per second through `ZMQWorkerEndpoint.send` -> `ZMQServerEndpoint.events`.
    public static func endpointThroughput(message: Message, count: Int, highWaterMark: Int32) async throws -> Double {
        let context = try ZMQContext()
        let server = try ZMQServerEndpoint(
            context: context,
            options: ZMQServerOptions(
                endpoint: "tcp://127.0.0.1:*",
                highWaterMark: highWaterMark))
        let worker = try ZMQWorkerEndpoint(
            context: context,
            options: ZMQWorkerOptions(
                endpoint: server.boundEndpoint, name: "bench",
                highWaterMark: highWaterMark))
        let sender = Task { for _ in 0..<count { try await worker.send(message) } }
        var first = ContinuousClock.now, received = 0
        for await event in server.events {
            guard case .message = event else { continue }
            if received == 0 { first = .now }
            received += 1
            if received == count { break }
        }
        let elapsed = ContinuousClock.now - first
        try await sender.value
        await worker.close()
        await server.close()
        return Double(count - 1) / seconds(elapsed)
    }

    /// Seconds per round trip: worker sends `message`, the server answers with it, the worker
    /// receives. With `onSocketThreads`, both consuming tasks prefer their endpoint's socket thread
    /// as task executor (`executor`, as a request/reply dispatcher should), else they run on the
    /// cooperative pool.
    public static func endpointRoundTrip(message: Message, count: Int, onSocketThreads: Bool = true) async throws
        -> Double
    {
        let context = try ZMQContext()
        let server = try ZMQServerEndpoint(context: context, options: ZMQServerOptions(endpoint: "tcp://127.0.0.1:*"))
        let worker = try ZMQWorkerEndpoint(
            context: context, options: ZMQWorkerOptions(endpoint: server.boundEndpoint, name: "bench"))
        let echo = Task(executorPreference: onSocketThreads ? server.executor : nil) {
            for await event in server.events {
                if case let .message(peer, m) = event { try? await server.send(m, to: peer) }
            }
        }
        let elapsed = try await withTaskExecutorPreference(onSocketThreads ? worker.executor : nil) {
            () async throws -> Duration in
            var it = worker.incoming.makeAsyncIterator()
            for _ in 0..<10 { try await worker.send(message); _ = try await it.next() }
            var samples: [Double] = []
            samples.reserveCapacity(count)
            let start = ContinuousClock.now, cpu0 = cpuSeconds()
            for _ in 0..<count {
                let t0 = ContinuousClock.now
                try await worker.send(message)
                _ = try await it.next()
                samples.append(seconds(ContinuousClock.now - t0) * 1e6)
            }
            let elapsed = ContinuousClock.now - start
            // Percentiles show how much of the mean is scheduling delay on a loaded machine.
            samples.sort()
            let place = onSocketThreads ? "socket threads" : "pool"
            let cpu = (cpuSeconds() - cpu0) / Double(count) * 1e6
            note(
                "endpoint rtt us (\(place)): p50 \(samples[count / 2]) p90 \(samples[count * 9 / 10]) "
                    + "p99 \(samples[count * 99 / 100]); cpu us per round trip \(cpu)")
            return elapsed
        }
        await worker.close()
        await server.close()
        await echo.value
        return seconds(elapsed) / Double(count)
    }

    /// Streams `update`-messages of `floats` floats to the server at `endpoint` as worker `name`,
    /// as fast as the server takes them, until the server is lost (throws) or the process is killed.
    /// The helper of the transport tests that kill a worker in the middle of a send.
    public static func streamUpdates(to endpoint: String, name: String, floats: Int, liveness: Liveness) async throws {
        let worker = try ZMQWorkerEndpoint(
            options: ZMQWorkerOptions(
                endpoint: endpoint, name: name, liveness: liveness,
                highWaterMark: 4))
        try await worker.send(.register(Register(workerID: name, clientIDs: [0])))
        var round = 0
        while true {
            round += 1
            try await worker.send(
                .update(
                    ClientUpdate(
                        round: round, clientID: 0, adapter: [Float](repeating: Float(round), count: floats),
                        trainSamples: 1, trainBatches: 1, trainLoss: nil)))
        }
    }

    /// CPU time of the whole process so far (user + system), to compare what each path costs.
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6
    }

    static func note(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

    static func seconds(_ d: Duration) -> Double {
        let (s, atto) = d.components
        return Double(s) + Double(atto) * 1e-18
    }
}

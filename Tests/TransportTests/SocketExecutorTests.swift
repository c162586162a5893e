import Foundation
import Synchronization
import Testing
@_spi(Bench) @testable import Transport

/// Tasks that prefer a ZeroMQ endpoint's socket thread as task executor (`endpoint.executor`).
@Suite struct SocketExecutorTests {
    @Test func runsJobsInOrderOnTheSocketThread() async throws {
        let server = try ZMQServerEndpoint(options: ZMQServerOptions(endpoint: "tcp://127.0.0.1:*"))
        let executor = try #require(server.executor as? SocketExecutor)
        let log = Shared<[(Int, Bool)]>([])
        // Tasks created one after another from here are enqueued in that order, each on the socket thread.
        let tasks = (0..<200).map { i in
            Task(executorPreference: server.executor) {
                log.value.withLock { $0.append((i, executor.isCurrentThread)) }
            }
        }
        for t in tasks { await t.value }
        let seen = log.value.withLock { $0 }
        #expect(seen.map(\.0) == Array(0..<200))
        #expect(seen.allSatisfy { $0.1 })
        #expect(!executor.isCurrentThread)
        await server.close()
    }

    @Test func consumersOnTheSocketThreadsAnswerRequestsInOrder() async throws {
        let server = try ZMQServerEndpoint(options: ZMQServerOptions(endpoint: "tcp://127.0.0.1:*"))
        let worker = try ZMQWorkerEndpoint(options: ZMQWorkerOptions(endpoint: server.boundEndpoint, name: "w"))
        let serverExecutor = try #require(server.executor as? SocketExecutor)
        let workerExecutor = try #require(worker.executor as? SocketExecutor)
        let echo = Task(executorPreference: server.executor) { () -> (Int, Bool) in
            var answered = 0, onThread = true
            for await event in server.events {
                // (Heartbeats would not do: the endpoint answers those itself.)
                guard case let .message(peer, .error(e)) = event else { continue }
                onThread = onThread && serverExecutor.isCurrentThread
                try? await server.send(.shutdown(Shutdown(reason: "\(e.code)")), to: peer)
                answered += 1
            }
            return (answered, onThread)
        }
        let (replies, onThread) = try await withTaskExecutorPreference(worker.executor) {
            () async throws -> ([String], Bool) in
            var it = worker.incoming.makeAsyncIterator()
            var replies: [String] = [], onThread = true
            for i in 1...300 {
                try await worker.send(.error(ErrorReport(code: Int32(i), text: "request")))
                guard case let .shutdown(s) = try await it.next() else { break }
                onThread = onThread && workerExecutor.isCurrentThread
                replies.append(s.reason)
            }
            return (replies, onThread)
        }
        #expect(replies == (1...300).map { "\($0)" })
        #expect(onThread)
        await worker.close()
        await server.close()
        let (answered, echoOnThread) = await echo.value
        #expect(answered == 300)
        #expect(echoOnThread)
    }

    /// Without a thread running them, jobs stay queued; `end()` hands every one to the global
    /// executor (none dropped), and jobs enqueued after it go there directly.
    @Test func jobsPendingAtEndRunOnTheGlobalExecutor() async throws {
        let executor = SocketExecutor(signal: try EventSignal())
        let ran = Shared<[Int]>([])
        let tasks = (0..<50).map { i in Task(executorPreference: executor) { ran.value.withLock { $0.append(i) } } }
        #expect(executor.hasPending)
        #expect(ran.value.withLock { $0.isEmpty })  // nothing runs them before `end()`
        #expect(executor.end() == 50)
        #expect(!executor.hasPending)
        for t in tasks { await t.value }
        #expect(ran.value.withLock { $0.sorted() } == Array(0..<50))
        let late = await Task(executorPreference: executor) { 42 }.value
        #expect(late == 42)
        #expect(executor.end() == 0)
    }

    /// Tasks on the socket thread that are suspended or queued when the endpoint closes still run
    /// to completion; a consumer awaiting a message then sees the stream end; close() called from
    /// the socket thread itself returns.
    @Test func closingWithTasksOnTheSocketThreadNeverHangs() async throws {
        let server = try ZMQServerEndpoint(options: ZMQServerOptions(endpoint: "tcp://127.0.0.1:*"))
        let worker = try ZMQWorkerEndpoint(options: ZMQWorkerOptions(endpoint: server.boundEndpoint, name: "w"))
        let ran = Shared<Int>(0)
        // Each task suspends many times, so its jobs keep being queued while the thread shuts down.
        let yielders = (0..<100).map { _ in
            Task(executorPreference: worker.executor) {
                for _ in 0..<50 { await Task.yield() }
                ran.value.withLock { $0 += 1 }
            }
        }
        // A consumer that acknowledges one message, then awaits the next one, which never comes.
        let consumer = Task(executorPreference: worker.executor) { () throws -> [Message] in
            var got: [Message] = []
            for try await m in worker.incoming {
                got.append(m)
                try await worker.send(.error(ErrorReport(code: 7, text: "got it")))
            }
            return got
        }
        try await worker.send(.register(Register(workerID: "w", clientIDs: [0])))
        var events = server.events.makeAsyncIterator()
        guard case .message(let peer, .register) = await events.next() else { Issue.record("no register"); return }
        try await server.send(.shutdown(Shutdown(reason: "first")), to: peer)
        // The acknowledgement: the consumer has its message and goes back to waiting.
        var acknowledged = false
        while let e = await events.next() {
            if case .message(_, .error(let r)) = e, r.code == 7 { acknowledged = true; break }
        }
        #expect(acknowledged)
        // close() from a task on the socket thread: the thread it waits for is the one running it.
        await Task(executorPreference: worker.executor) { await worker.close() }.value
        for t in yielders { await t.value }
        #expect(ran.value.withLock { $0 } == 100)
        #expect(try await consumer.value == [.shutdown(Shutdown(reason: "first"))])
        await #expect(throws: TransportError.closed) { try await worker.send(.heartbeat(Heartbeat(sequence: 8))) }
        await server.close()
    }

    /// A consumer on the socket thread awaiting a message when the server is lost gets the error.
    @Test func consumerOnTheSocketThreadSeesTheServerLost() async throws {
        let liveness = Liveness(
            heartbeatInterval: .milliseconds(20), lease: .milliseconds(200),
            zmtpInterval: .milliseconds(50), zmtpTimeout: .milliseconds(150))
        // Nobody listens there: no answer ever renews the lease.
        let worker = try ZMQWorkerEndpoint(
            options: ZMQWorkerOptions(endpoint: "tcp://127.0.0.1:1", name: "w", liveness: liveness))
        let outcome = await Task(executorPreference: worker.executor) { () -> (any Error)? in
            do {
                for try await _ in worker.incoming {}
                return nil
            } catch {
                return error
            }
        }.value
        guard case .peerLost(peer: "server", _)? = outcome as? TransportError else {
            Issue.record("expected peerLost, got \(String(describing: outcome))")
            return
        }
        await worker.close()
    }
}

/// A value under a lock, shared by tasks.
private final class Shared<T: Sendable>: Sendable {
    let value: Mutex<T>
    init(_ v: T) { value = Mutex(v) }
}

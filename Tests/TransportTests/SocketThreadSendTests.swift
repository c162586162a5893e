import CZeroMQ
import Foundation
import Synchronization
import Testing
@_spi(Bench) @testable import Transport

/// Sends from a consumer that runs on the server's socket thread (`executor` preference): the
/// reply goes to libzmq from that thread, and what the high-water mark holds back is queued for
/// the same thread, whose consumer then waits for room while the thread keeps flushing.
@Suite struct SocketThreadSendTests {
    /// More bytes than the held-back queue holds (`OutboundQueue.capacityBytes`) plus what the
    /// high-water marks and TCP buffers take.
    static let messages = 100
    static let floats = 256 << 10  // 1 MiB per adapter

    static let liveness = Liveness(
        heartbeatInterval: .seconds(1), lease: .seconds(600),
        zmtpInterval: .seconds(1), zmtpTimeout: .seconds(600))

    static func update(_ round: Int) -> Message {
        .update(
            ClientUpdate(
                round: round, clientID: 0, adapter: [Float](repeating: Float(round), count: floats),
                trainSamples: 1, trainBatches: 1, trainLoss: nil))
    }

    /// A server whose consumer, on the socket thread, answers a register with `messages` updates.
    /// Returns the server, the consumer (its result: every send ran on the socket thread; or the
    /// error that ended it) and a flag set when it has sent everything.
    fileprivate static func answeringServer() throws -> (ZMQServerEndpoint, Task<Result<Bool, any Error>, Never>, Flag)
    {
        let server = try ZMQServerEndpoint(
            options: ZMQServerOptions(
                endpoint: "tcp://127.0.0.1:*", liveness: liveness,
                highWaterMark: 2))
        let executor = server.executor as! SocketExecutor
        let done = Flag()
        let answer = Task(executorPreference: server.executor) { () -> Result<Bool, any Error> in
            for await event in server.events {
                guard case let .message(peer, .register) = event else { continue }
                var onThread = true
                do {
                    for round in 1...messages {
                        try await server.send(update(round), to: peer)
                        onThread = onThread && executor.isCurrentThread
                    }
                } catch {
                    return .failure(error)
                }
                done.value.store(true, ordering: .releasing)
                return .success(onThread)
            }
            return .failure(TransportError.closed)
        }
        return (server, answer, done)
    }

    /// A DEALER of our own that reads only when told: while it does not, the server's sends pile
    /// up in its held-back queue until the queue is full.
    static func rawWorker(_ endpoint: String) throws -> ZMQSocket {
        let s = try ZMQSocket(context: .shared, type: ZMQ_DEALER)
        try s.set(ZMQ_RCVHWM, 2)
        try s.set(ZMQ_ROUTING_ID, bytes: Array("raw".utf8))
        try s.connect(endpoint)
        guard try s.send(MessageCodec.encode(.register(Register(workerID: "raw", clientIDs: [0]))), blocking: true)
        else {
            throw TransportError.closed
        }
        return s
    }

    @Test func aSocketThreadConsumerSendingPastTheHighWaterMarkWaitsAndLosesNothing() async throws {
        let (server, answer, done) = try Self.answeringServer()
        let endpoint = server.boundEndpoint
        let (finishedEarly, rounds) = try await onThread { () throws -> (Bool, [Int]) in
            let s = try Self.rawWorker(endpoint)
            defer { s.close() }
            // Not reading: 100 MiB cannot all leave, so the consumer must be waiting for room.
            Thread.sleep(forTimeInterval: 0.3)
            let finishedEarly = done.isSet
            var rounds: [Int] = []
            for _ in 0..<Self.messages {
                guard let r = try s.receive(blocking: true, floatFramesFrom: 1),
                    case let .update(u) = try MessageCodec.decodeFrames(r.frames)
                else { break }
                // Each adapter is its own round's (no frames mixed between messages).
                rounds.append(u.adapter.allSatisfy { $0 == Float(u.round) } ? u.round : -u.round)
            }
            return (finishedEarly, rounds)
        }
        #expect(!finishedEarly)
        #expect(rounds == Array(1...Self.messages))
        let outcome = await answer.value
        #expect((try? outcome.get()) == true)  // every send, also after waiting for room, on the socket thread
        #expect(server.traffic.messages(.update, .sent) == Self.messages)
        await server.close()
    }

    /// Closing the server while its socket-thread consumer waits for room: the wait ends with an
    /// error, the consumer's task finishes, close() returns.
    @Test func closingWhileASocketThreadConsumerWaitsForRoomNeverHangs() async throws {
        let (server, answer, done) = try Self.answeringServer()
        let endpoint = server.boundEndpoint
        let socket = try await onThread { () throws -> SocketBox in
            let s = try Self.rawWorker(endpoint)
            Thread.sleep(forTimeInterval: 0.3)
            return SocketBox(s)
        }
        #expect(!done.isSet)
        await server.close()
        guard case let .failure(error) = await answer.value else {
            Issue.record("the consumer finished its sends although the peer never read")
            return
        }
        #expect(error as? TransportError == .closed)
        socket.take().close()
    }
}

/// An atomic flag shared by tasks and threads.
private final class Flag: Sendable {
    let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
}

import Foundation
import Synchronization
import Testing
@testable import Transport

/// The server's event stream is bounded: a consumer that falls behind holds the senders back
/// (in-process: `send` waits; ZeroMQ: the socket thread stops reading, the high-water marks fill),
/// and once it reads again every message arrives, in order.
@Test func aFullInProcessEventStreamHoldsSendersBackAndLosesNothing() async throws {
    let capacity = 4, total = 60
    let server = try InProcessServer(liveness: .standard, eventCapacity: capacity)
    let worker = try server.connectWorker(name: "w")
    let done = Atomic<Int>(0)
    let sender = Task {
        for i in 0..<total {
            try await worker.send(.error(ErrorReport(code: Int32(i), text: "m")))
            done.add(1, ordering: .relaxed)
        }
    }
    // Nobody reads: the sender gets at most `capacity` messages through, then waits.
    try await waitUntil(30) { done.load(ordering: .relaxed) >= capacity }
    try await Task.sleep(for: .milliseconds(200))
    #expect(done.load(ordering: .relaxed) <= capacity)
    var codes: [Int32] = []
    for await event in server.events {
        if case let .message(_, .error(e)) = event { codes.append(e.code) }
        if codes.count == total { break }
    }
    try await sender.value
    #expect(codes == (0..<Int32(total)).map { $0 })
    await worker.close()
    await server.close()
}

@Test(arguments: [TransportKind.zmqInproc, .zmqTCP])
func aFullZMQEventStreamStopsReadingAndLosesNothing(kind: TransportKind) async throws {
    let capacity = 8, total = 400
    // A lease far longer than the stall: while the server does not read, heartbeats go unanswered.
    let liveness = Liveness(heartbeatInterval: .milliseconds(100), lease: .seconds(120))
    let server = try ZMQServerEndpoint(
        options: ZMQServerOptions(
            endpoint: testEndpoint(kind), liveness: liveness,
            highWaterMark: 16, eventCapacity: capacity))
    let worker = try ZMQWorkerEndpoint(
        options: ZMQWorkerOptions(
            endpoint: server.boundEndpoint, name: "w", liveness: liveness,
            highWaterMark: 16))
    let payload = [Float](repeating: 0.5, count: 16 << 10)  // 64 KB each: 25 MB in all
    let sender = Task {
        for i in 0..<total {
            try await worker.send(
                .update(
                    ClientUpdate(
                        round: i, clientID: 0, adapter: payload, trainSamples: 1,
                        trainBatches: 1, trainLoss: nil)))
        }
    }
    // Nobody reads: the server takes `capacity` events plus the one it holds, then stops reading.
    try await waitUntil(30) { server.traffic.messages(.update, .received) >= capacity + 1 }
    try await Task.sleep(for: .milliseconds(300))
    #expect(server.traffic.messages(.update, .received) == capacity + 1)
    var rounds: [Int] = []
    for await event in server.events {
        if case let .message(_, .update(u)) = event {
            #expect(u.adapter == payload)
            rounds.append(u.round)
        }
        if rounds.count == total { break }
    }
    try await sender.value
    #expect(rounds == Array(0..<total))
    #expect(server.traffic.messages(.update, .received) == total)
    await worker.close()
    await server.close()
}

@Test func eventCapacityIsValidated() {
    #expect(throws: TransportError.invalidConfiguration("event capacity must be positive")) {
        try ZMQServerEndpoint(options: ZMQServerOptions(endpoint: "tcp://127.0.0.1:*", eventCapacity: 0))
    }
}

import CZeroMQ
import Foundation
@_spi(Bench) @testable import Transport

extension EndpointHarness {
    /// A ZeroMQ server on an ephemeral tcp port or a fresh inproc name, and workers that the server
    /// has already heard from (a heartbeat answered), so it can address them.
    static func makeZMQ(_ kind: TransportKind, names: [String], audit: WireAuditLog?) async throws -> EndpointHarness {
        let server = try ZMQServerEndpoint(options: ZMQServerOptions(endpoint: testEndpoint(kind)))
        let workers = try names.map {
            try ZMQWorkerEndpoint(options: ZMQWorkerOptions(endpoint: server.boundEndpoint, name: $0, audit: audit))
        }
        for w in workers { try await w.send(.heartbeat(Heartbeat(sequence: 0))) }
        try await waitUntil(10) { workers.allSatisfy { $0.traffic.messages(.heartbeat, .received) >= 1 } }
        return EndpointHarness(server: server, workers: workers, names: names, closers: [])
    }
}

/// `tcp://127.0.0.1:*` (ephemeral port) or a unique `inproc://` name.
func testEndpoint(_ kind: TransportKind) -> String {
    kind == .zmqInproc ? "inproc://test-\(UUID().uuidString)" : "tcp://127.0.0.1:*"
}

/// Polls `condition` every 5 ms until it holds; throws after `seconds`.
func waitUntil(_ seconds: Double, _ condition: @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while !condition() {
        if ContinuousClock.now > deadline { throw DeadlineExceeded(seconds: seconds) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Runs blocking socket code on its own thread (never on the cooperative pool).
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        let t = Thread { c.resume(with: Result { try body() }) }
        t.start()
    }
}

/// A raw DEALER socket for tests that must misbehave or be many.
func rawDealer(
    _ endpoint: String, routingID: String? = nil, receiveTimeoutMs: Int32 = 10_000,
    context: ZMQContext = .shared
) throws -> ZMQSocket {
    let s = try ZMQSocket(context: context, type: ZMQ_DEALER)
    if let routingID { try s.set(ZMQ_ROUTING_ID, bytes: Array(routingID.utf8)) }
    try s.set(ZMQ_RCVTIMEO, receiveTimeoutMs)
    try s.set(ZMQ_SNDTIMEO, 10_000)
    try s.set(ZMQ_SNDHWM, 1_000_000)
    try s.connect(endpoint)
    return s
}

/// Boxes a non-Sendable value to hand it to the one thread that uses it.
final class UncheckedBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

import Foundation
@testable import Transport

/// Which endpoint implementation a test runs over.
enum TransportKind: String, CaseIterable, CustomStringConvertible, Sendable {
    case inProcess, zmqInproc, zmqTCP
    var description: String { rawValue }
}

/// A server and some workers of one kind, closed by `shutdown()`.
struct EndpointHarness {
    let server: any ServerEndpoint
    let workers: [any WorkerEndpoint]
    let names: [String]
    let closers: [@Sendable () async -> Void]

    static func make(_ kind: TransportKind, workers n: Int, audit: WireAuditLog? = nil) async throws -> EndpointHarness
    {
        let names = (0..<n).map { "worker-\($0)" }
        switch kind {
        case .inProcess:
            let server = InProcessServer()
            let workers = try names.map { try server.connectWorker(name: $0, audit: audit) }
            return EndpointHarness(server: server, workers: workers, names: names, closers: [])
        case .zmqInproc, .zmqTCP:
            return try await makeZMQ(kind, names: names, audit: audit)
        }
    }

    func shutdown() async {
        for w in workers { await w.close() }
        await server.close()
        for c in closers { await c() }
    }
}

/// Collects server events until `count` messages arrived (or the timeout).
func collectMessages(_ server: any ServerEndpoint, count: Int, timeout: Double = 20) async -> [(PeerID, Message)] {
    await withTaskGroup(of: [(PeerID, Message)]?.self) { group in
        group.addTask {
            var out: [(PeerID, Message)] = []
            for await e in server.events {
                if case let .message(p, m) = e { out.append((p, m)) }
                if out.count == count { break }
            }
            return out
        }
        group.addTask {
            try? await Task.sleep(for: .seconds(timeout))
            return nil
        }
        var result: [(PeerID, Message)] = []
        for await r in group {
            if let r { result = r }
            group.cancelAll()
            break
        }
        return result
    }
}

/// Runs `body` with a deadline; throws when it takes longer.
func withDeadline<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds)); return nil
        }
        let first = try await group.next()!
        group.cancelAll()
        guard let v = first else { throw DeadlineExceeded(seconds: seconds) }
        return v
    }
}

struct DeadlineExceeded: Error { let seconds: Double }

import CZeroMQ
import Foundation
import Synchronization

/// The ZAP handler of one context (RFC 27): a REP socket on inproc://zeromq.zap.01, owned by its
/// own thread. Each CURVE server registers a ZAP domain with its allow-list; a connecting worker is
/// accepted only if its public key is on the list of the server's domain, and the connection's
/// "User-Id" is set to the name the list gives the key.
final class ZAPAuthenticator: Sendable {
    private let domains = Mutex<[String: [String: String]]>([:])
    private let stopping = Atomic<Bool>(false)
    private let stats = Mutex<(accepted: Int, refused: Int)>((0, 0))

    init(context: ZMQContext) throws {
        let socket = try ZMQSocket(context: context, type: ZMQ_REP)
        try socket.bind("inproc://zeromq.zap.01")
        let owned = SocketBox(socket)
        let thread = Thread { [self] in self.run(owned.take()) }
        thread.name = "fedhds-zap"
        thread.start()
    }

    /// Told (on the ZAP thread) about each refused connection of a domain, with the reason.
    private let refusalHandlers = Mutex<[String: @Sendable (String) -> Void]>([:])

    func register(domain: String, allowList: [String: String], onRefused: (@Sendable (String) -> Void)? = nil) {
        domains.withLock { $0[domain] = allowList }
        if let onRefused { refusalHandlers.withLock { $0[domain] = onRefused } }
    }

    func unregister(domain: String) {
        _ = domains.withLock { $0.removeValue(forKey: domain) }
        _ = refusalHandlers.withLock { $0.removeValue(forKey: domain) }
    }

    func stop() { stopping.store(true, ordering: .relaxed) }

    var counts: (accepted: Int, refused: Int) { stats.withLock { $0 } }

    private func run(_ socket: ZMQSocket) {
        defer { socket.close() }
        while !stopping.load(ordering: .relaxed) {
            guard let (readable, _) = try? socket.poll(alsoFD: nil, timeoutMs: 100) else { return }
            guard readable, let request = try? socket.receive(maxFrames: 8, blocking: false) else { continue }
            let reply = answer(request.frames.map(\.bytes))
            _ = try? socket.send(reply, blocking: true)
        }
    }

    /// The ZAP reply to one request: version, request id, status code, status text, user id, metadata.
    private func answer(_ f: [[UInt8]]) -> [[UInt8]] {
        let requestID = f.count > 1 ? f[1] : []
        func reply(_ code: String, _ text: String, _ user: String) -> [[UInt8]] {
            stats.withLock { if code == "200" { $0.accepted += 1 } else { $0.refused += 1 } }
            return [Array("1.0".utf8), requestID, Array(code.utf8), Array(text.utf8), Array(user.utf8), []]
        }
        guard f.count >= 7, f[0] == Array("1.0".utf8) else { return reply("500", "bad ZAP request", "") }
        let domain = String(decoding: f[2], as: UTF8.self)
        guard f[5] == Array("CURVE".utf8) else { return reply("400", "only CURVE is accepted", "") }
        guard let key = CurveKeyPair.encode(f[6]) else { return reply("400", "bad CURVE credentials", "") }
        guard let name = domains.withLock({ $0[domain]?[key] }) else {
            let address = f.count > 3 ? String(decoding: f[3], as: UTF8.self) : "?"
            let from = address.isEmpty ? "an unknown address" : address
            refusalHandlers.withLock { $0[domain] }?(
                "CURVE key \(key) from \(from) is not on the allow-list; connection refused")
            return reply("400", "key not allowed", "")
        }
        return reply("200", "OK", name)
    }
}

/// Moves a socket into the thread that will own it.
@_spi(Bench) public final class SocketBox: @unchecked Sendable {
    private var socket: ZMQSocket?
    @_spi(Bench) public init(_ socket: ZMQSocket) { self.socket = socket }
    @_spi(Bench) public func take() -> ZMQSocket {
        let s = socket!
        socket = nil
        return s
    }
}

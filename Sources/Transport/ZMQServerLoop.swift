import CZeroMQ
import Foundation
import Glibc
import Synchronization

/// The thread that owns a server's ROUTER socket: sends what `OutboundQueue` holds, receives and
/// decodes, identifies peers (by CURVE User-Id or routing id), answers heartbeats, and expires
/// leases. Everything but the shared members is touched only by that thread.
final class ZMQServerLoop: @unchecked Sendable {
    // Shared with other threads (all thread-safe).
    let queue: OutboundQueue
    let continuation: AsyncStream<ServerEvent>.Continuation
    let traffic: TrafficCounters
    let exit = ExitLatch()
    private let stopping = Atomic<Bool>(false)
    /// Which peers the thread has heard from and which it declared lost, for `check(peer:)`.
    private let peers = Mutex<(known: Set<String>, lost: Set<String>)>(([], []))

    // Owned by the thread.
    private var socket: ZMQSocket?
    private let authenticated: Bool
    private let limits: CodecLimits
    private let lease: Duration
    private let tickMs: Int
    private var routes: [String: [UInt8]] = [:]
    private var lastSeen: [String: ContinuousClock.Instant] = [:]
    private var lost: Set<String> = []
    private var pending: [OutboundSend] = []
    private var heartbeatSequence: UInt64 = 0

    init(socket: ZMQSocket, authenticated: Bool, options: ZMQServerOptions,
         continuation: AsyncStream<ServerEvent>.Continuation, traffic: TrafficCounters) throws {
        self.socket = socket
        self.authenticated = authenticated
        self.limits = options.limits
        self.lease = options.liveness.lease
        self.tickMs = max(1, min(50, Int(Liveness.milliseconds(options.liveness.lease) / 8)))
        self.continuation = continuation
        self.traffic = traffic
        self.queue = try OutboundQueue()
    }

    /// Throws unless `peer` is connected as far as the thread knows (so a send can be queued).
    func check(peer: String) throws {
        try peers.withLock { p in
            if p.known.contains(peer) { return }
            if p.lost.contains(peer) { throw TransportError.peerLost(peer: peer, reason: "disconnected or lease expired") }
            throw TransportError.unknownPeer(peer)
        }
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        queue.signal.signal()
    }

    func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "fedhds-zmq-server"
        thread.start()
    }

    private func run() {
        guard let socket else { return }
        var nextTick = ContinuousClock.now
        while !stopping.load(ordering: .relaxed) {
            if pending.count < OutboundQueue.capacityMessages { pending.append(contentsOf: queue.drain()) }
            if !pending.isEmpty { flush(socket) }
            let readable: Bool
            do {
                (readable, _) = try socket.poll(alsoFD: queue.signal.fd, timeoutMs: pending.isEmpty ? tickMs : 1)
            } catch {
                break  // the context was terminated
            }
            queue.signal.reset()
            if readable { receiveBatch(socket) }
            let now = ContinuousClock.now
            if now >= nextTick {
                expireLeases(now)
                nextTick = now + .milliseconds(tickMs)
            }
        }
        _ = queue.close(with: .closed)
        pending = []
        socket.close()
        self.socket = nil
        continuation.finish()
        exit.open()
    }

    /// Sends what can be sent now, keeping per-peer order: after a peer's message is held back
    /// by its high-water mark, its later messages wait too.
    private func flush(_ socket: ZMQSocket) {
        var blocked = Set<String>()
        var keep: [OutboundSend] = []
        let now = ContinuousClock.now
        for item in pending {
            if blocked.contains(item.peer) { keep.append(item); continue }
            // A peer lost after the send was queued: the .peerLost event has told the server.
            guard let rid = routes[item.peer] else { continue }
            do {
                if try socket.send(item.frames, prefix: rid) {
                    traffic.record(item.type, .sent, bytes: item.byteCount)
                } else if now >= item.deadline {
                    markLost(item.peer, reason: "its high-water mark stayed full for the send timeout")
                } else {
                    blocked.insert(item.peer)
                    keep.append(item)
                }
            } catch let TransportError.zmq(_, e, _) where e == EHOSTUNREACH {
                markLost(item.peer, reason: "disconnected")
            } catch {
                continuation.yield(.rejected(PeerID(item.peer), error as? TransportError ?? .malformed("\(error)")))
            }
        }
        pending = keep
    }

    private func receiveBatch(_ socket: ZMQSocket) {
        for _ in 0..<4096 {
            guard let incoming = try? socket.receive(maxFrames: 8, floatFramesFrom: 2) else { return }
            handle(incoming, socket)
        }
    }

    private func handle(_ incoming: ZMQIncoming, _ socket: ZMQSocket) {
        guard let rid = incoming.frames.first?.bytes else { return }
        let body = Array(incoming.frames.dropFirst())
        let size = body.reduce(0) { $0 + $1.byteCount }
        let name: String
        if authenticated {
            guard let uid = incoming.userID, !uid.isEmpty else {
                // Cannot happen with ZAP on: libzmq delivers nothing from unauthenticated peers.
                traffic.recordRejected(bytes: size)
                continuation.yield(.rejected(nil, .invalidConfiguration("message without an authenticated User-Id")))
                return
            }
            name = uid
        } else {
            name = ZMQServerLoop.peerName(rid)
        }
        if routes.updateValue(rid, forKey: name) == nil {
            lost.remove(name)
            peers.withLock { p in p.known.insert(name); p.lost.remove(name) }
        }
        lastSeen[name] = .now
        let peer = PeerID(name)
        do {
            guard incoming.totalFrames - 1 <= 2 else {
                throw TransportError.frameCount(expected: 2, got: incoming.totalFrames - 1)
            }
            let message = try MessageCodec.decodeFrames(body, limits: limits)
            traffic.record(message.type, .received, bytes: size)
            if case .heartbeat = message {
                heartbeatSequence &+= 1
                if let frames = try? MessageCodec.encodeFrames(.heartbeat(Heartbeat(sequence: heartbeatSequence))),
                   (try? socket.send(frames, prefix: rid)) == true {
                    traffic.record(.heartbeat, .sent, bytes: frames.reduce(0) { $0 + $1.byteCount })
                }
                return
            }
            continuation.yield(.message(peer, message))
        } catch let e as TransportError {
            traffic.recordRejected(bytes: size)
            continuation.yield(.rejected(peer, e))
        } catch {
            traffic.recordRejected(bytes: size)
            continuation.yield(.rejected(peer, .malformed("\(error)")))
        }
    }

    private func expireLeases(_ now: ContinuousClock.Instant) {
        for (name, seen) in lastSeen where now - seen > lease {
            markLost(name, reason: "no message within the lease of \(lease)")
        }
    }

    private func markLost(_ name: String, reason: String) {
        guard routes.removeValue(forKey: name) != nil else { return }
        lastSeen.removeValue(forKey: name)
        lost.insert(name)
        peers.withLock { p in p.known.remove(name); p.lost.insert(name) }
        let error = TransportError.peerLost(peer: name, reason: reason)
        continuation.yield(.peerLost(PeerID(name), error))
        pending.removeAll { $0.peer == name }
    }

    /// A routing id as a name: its text when it is printable UTF-8, else "0x" and hex.
    static func peerName(_ rid: [UInt8]) -> String {
        if let first = rid.first, first != 0, rid.allSatisfy({ $0 >= 0x20 && $0 != 0x7f }),
           let s = String(validating: rid, as: UTF8.self) {
            return s
        }
        return "0x" + rid.map { String(format: "%02x", $0) }.joined()
    }
}

import CZeroMQ
import Foundation
import Glibc
import Synchronization

/// A server's ROUTER socket and the thread that watches it. The socket is shared under one lock:
/// a sending task hands its message to libzmq itself (no thread hop), and only what the
/// high-water mark holds back is queued for the thread. The thread waits on the socket's ZMQ_FD
/// and an eventfd, receives and decodes, identifies peers (by CURVE User-Id or routing id),
/// answers heartbeats, retries held-back sends, and expires leases.
///
/// The event stream is bounded (`ZMQServerOptions.eventCapacity`): when it is full the thread
/// keeps the event it could not hand over and stops reading the socket until the consumer has
/// taken events, so libzmq's receive high-water mark and TCP push back on the workers; nothing is
/// dropped. While stalled, leases do not expire (nothing is being read), and they restart when
/// reading resumes.
final class ZMQServerLoop: HeldBackSending, @unchecked Sendable {  // mutable state only under `lock`
    let mailbox: Mailbox<ServerEvent>
    let traffic: TrafficCounters
    let exit = ExitLatch()
    private let signal: EventSignal
    /// Runs the jobs of tasks that prefer this thread (`ZMQServerEndpoint.executor`), between waits.
    let executor: SocketExecutor
    private let stopping = Atomic<Bool>(false)
    private let lock = Mutex<Void>(())

    // Guarded by `lock`.
    private var socket: ZMQSocket?
    private var queue = OutboundQueue()
    private var routes: [String: [UInt8]] = [:]
    private var lastSeen: [String: ContinuousClock.Instant] = [:]
    private var lost: Set<String> = []
    /// Events for the stream, in order; the thread hands them over after releasing the lock (so a
    /// consumer woken by one never waits for the lock the thread still holds).
    private var outbox: [ServerEvent] = []
    private var heartbeatSequence: UInt64 = 0
    /// The last routing id seen and its name (`peerName`), so a run of messages from one peer
    /// names it once.
    private var lastRoutingID: [UInt8] = []
    private var lastName = ""

    // The thread's own.
    /// The events of this turn, taken from `outbox` by swapping (so both keep their storage).
    private var handing: [ServerEvent] = []
    /// Events the full stream did not take yet, oldest first; while any wait, the socket is not read.
    private var stalled: [ServerEvent] = []
    /// The stream's free places as last reported (the consumer only adds to them).
    private var room: Int
    /// Whether the consumer runs on this thread (jobs ran after the last messages were handed over):
    /// then each message is handed over as soon as it is received (the receive that finds the
    /// socket empty comes after the consumer's reply, off the round trip's path), not in batches.
    private var consumerHere = false

    // Constant.
    private let socketFD: Int32
    private let authenticated: Bool
    private let limits: CodecLimits
    private let lease: Duration
    private let tickMs: Int32
    /// Messages and bytes received per lock hold, so senders are not held up for long.
    private static let batchMessages = 256
    private static let batchBytes = 8 << 20

    init(
        socket: ZMQSocket, authenticated: Bool, options: ZMQServerOptions,
        mailbox: Mailbox<ServerEvent>, traffic: TrafficCounters
    ) throws {
        self.socket = socket
        self.room = options.eventCapacity
        self.socketFD = try socket.fileDescriptor()
        self.authenticated = authenticated
        self.limits = options.limits
        self.lease = options.liveness.lease
        self.tickMs = max(1, min(50, Liveness.milliseconds(options.liveness.lease) / 8))
        self.mailbox = mailbox
        self.traffic = traffic
        self.signal = try EventSignal()
        self.executor = SocketExecutor(signal: signal)
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        signal.signal()
    }

    func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "fedhds-zmq-server"
        thread.start()
    }

    // MARK: Sending (any thread)

    /// Sends `item` now if the socket takes it, else queues it for the thread. Returns true when
    /// the caller should wait for room (`HeldBackSending.send` does). Throws `unknownPeer` / `peerLost` when
    /// the peer is not connected now, `closed` after the loop ended.
    func trySend(_ item: OutboundSend) throws -> Bool {
        try lock.withLock { _ in
            if let e = queue.closedWith { throw e }
            guard let socket else { throw TransportError.closed }
            guard let rid = routes[item.peer] else {
                if lost.contains(item.peer) {
                    throw TransportError.peerLost(peer: item.peer, reason: "disconnected or lease expired")
                }
                throw TransportError.unknownPeer(item.peer)
            }
            // Our send may have eaten a ZMQ_FD edge; the thread itself looks again after its jobs ran.
            defer { if !executor.isCurrentThread, socket.hasInput() { signal.signal() } }
            if !queue.holds(peer: item.peer) {
                do {
                    if try socket.send(item.frames, prefix: rid) {
                        traffic.record(item.type, .sent, bytes: item.byteCount)
                        return false
                    }
                } catch let TransportError.zmq(_, e, _) where e == EHOSTUNREACH {
                    markLost(item.peer, reason: "disconnected")
                    signal.signal()  // the thread hands the .peerLost event over
                    throw TransportError.peerLost(peer: item.peer, reason: "disconnected")
                }
            }
            return queue.holdBack(item, waking: signal)
        }
    }

    func withHeldBack(_ body: (inout OutboundQueue) -> Void) {
        lock.withLock { _ in body(&queue) }
    }

    // MARK: The thread

    private func run() {
        executor.adoptCurrentThread()
        var nextTick = ContinuousClock.now
        while !stopping.load(ordering: .relaxed) {
            retryStalled()
            let (timeout, ended) = lock.withLock { _ -> (Int32, Bool) in
                defer { swap(&outbox, &handing) }  // `handing` was empty: no array is allocated per turn
                guard let socket else { return (0, true) }
                var more = false
                if stalled.isEmpty {
                    do { more = try receiveBatch(socket) } catch { return (0, true) }  // context terminated
                }
                // A receive that ended in EAGAIN has processed libzmq's commands: ZMQ_FD will signal
                // the next message. Only a send since then may have eaten that signal.
                let sent = !queue.isEmpty
                if sent { flush(socket) }
                let now = ContinuousClock.now
                if now >= nextTick {
                    if stalled.isEmpty { expireLeases(now) } else { for k in lastSeen.keys { lastSeen[k] = now } }
                    nextTick = now + .milliseconds(tickMs)
                }
                if more || (stalled.isEmpty && sent && socket.hasInput()) { return (0, false) }
                return (queue.isEmpty && stalled.isEmpty && outbox.isEmpty ? tickMs : 1, false)
            }
            for event in handing { emit(event) }
            let handedOver = !handing.isEmpty
            handing.removeAll(keepingCapacity: true)
            if ended { break }
            // Jobs that ran may have sent (eating a ZMQ_FD edge) or taken events: look again first.
            let ran = executor.runPending()
            // Messages handed over without a job running here: their consumer is elsewhere.
            if ran > 0 { consumerHere = true } else if handedOver { consumerHere = false }
            if ran > 0 || executor.hasPending { continue }
            let wait = stalled.isEmpty ? timeout : min(timeout, 1)
            if wait > 0 { signal.wait(orReadable: socketFD, timeoutMs: wait) }
        }
        lock.withLock { _ in
            queue.close(with: .closed)
            socket?.close()
            socket = nil
        }
        mailbox.finish()
        executor.end()  // jobs left (e.g. the consumer just resumed by `finish`) run on the global executor
        exit.open()
    }

    /// Hands `event` to the stream, or keeps it (in order) while the stream is full. Thread only.
    private func emit(_ event: ServerEvent) {
        if stalled.isEmpty, offer(event) { return }
        stalled.append(event)
    }

    /// Thread only.
    private func retryStalled() {
        var taken = 0
        for event in stalled {
            guard offer(event) else { break }
            taken += 1
        }
        if taken > 0 { stalled.removeFirst(taken) }
    }

    /// Yields `event`; false when the stream is full (it did not take it).
    private func offer(_ event: ServerEvent) -> Bool {
        switch mailbox.push(event) {
        case .full:
            room = 0
            return false
        case let .enqueued(remaining):
            room = remaining
            return true
        case .finished:
            return true
        }
    }

    /// Queues an event for the thread to hand over (lock held).
    private func post(_ event: ServerEvent) { outbox.append(event) }

    /// Sends what can be sent now, keeping per-peer order: after a peer's message is held back
    /// by its high-water mark, its later messages wait too.
    private func flush(_ socket: ZMQSocket) {
        var blocked = Set<String>()
        var keep: [OutboundSend] = []
        var lostNow: [(String, String)] = []
        let now = ContinuousClock.now
        for item in queue.items {
            if blocked.contains(item.peer) { keep.append(item); continue }
            // A peer lost after the send was queued: the .peerLost event has told the server.
            guard let rid = routes[item.peer], !lostNow.contains(where: { $0.0 == item.peer }) else { continue }
            do {
                if try socket.send(item.frames, prefix: rid) {
                    traffic.record(item.type, .sent, bytes: item.byteCount)
                } else if now >= item.deadline {
                    lostNow.append((item.peer, "its high-water mark stayed full for the send timeout"))
                } else {
                    blocked.insert(item.peer)
                    keep.append(item)
                }
            } catch let TransportError.zmq(_, e, _) where e == EHOSTUNREACH {
                lostNow.append((item.peer, "disconnected"))
            } catch {
                post(.rejected(PeerID(item.peer), error as? TransportError ?? .malformed("\(error)")))
            }
        }
        queue.replace(with: keep)
        for (peer, reason) in lostNow { markLost(peer, reason: reason) }
    }

    /// Receives and handles up to a batch (no more messages than the stream has room for, but at
    /// least one); returns true when it stopped at the batch limit.
    private func receiveBatch(_ socket: ZMQSocket) throws -> Bool {
        var bytes = 0
        for _ in 0..<(consumerHere ? 1 : max(1, min(room, ZMQServerLoop.batchMessages))) {
            guard let incoming = try socket.receive(maxFrames: 8, floatFramesFrom: 2, userID: authenticated) else {
                return false
            }
            bytes += incoming.frames.reduce(0) { $0 + $1.byteCount }
            handle(incoming, socket)
            if bytes >= ZMQServerLoop.batchBytes { return true }
        }
        return true
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
                post(.rejected(nil, .invalidConfiguration("message without an authenticated User-Id")))
                return
            }
            name = uid
        } else if rid == lastRoutingID {
            name = lastName
        } else {
            name = ZMQServerLoop.peerName(rid)
            lastRoutingID = rid
            lastName = name
        }
        if routes.updateValue(rid, forKey: name) == nil { lost.remove(name) }
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
                    (try? socket.send(frames, prefix: rid)) == true
                {
                    traffic.record(.heartbeat, .sent, bytes: frames.reduce(0) { $0 + $1.byteCount })
                }
                return
            }
            post(.message(peer, message))
        } catch let e as TransportError {
            traffic.recordRejected(bytes: size)
            post(.rejected(peer, e))
        } catch {
            traffic.recordRejected(bytes: size)
            post(.rejected(peer, .malformed("\(error)")))
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
        queue.removeAll(for: name)
        post(.peerLost(PeerID(name), TransportError.peerLost(peer: name, reason: reason)))
    }

    /// A routing id as a name: its text when it is printable UTF-8, else "0x" and hex.
    static func peerName(_ rid: [UInt8]) -> String {
        if let first = rid.first, first != 0, rid.allSatisfy({ $0 >= 0x20 && $0 != 0x7f }),
            let s = String(validating: rid, as: UTF8.self)
        {
            return s
        }
        return "0x" + rid.map { String(format: "%02x", $0) }.joined()
    }
}

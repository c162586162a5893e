import CZeroMQ
import Foundation
import Glibc
import Synchronization

/// A worker's DEALER socket and the thread that watches it. The socket is shared under one lock:
/// a sending task hands its message to libzmq itself (no thread hop), and only what the
/// high-water mark holds back is queued for the thread. The thread waits on the socket's ZMQ_FD
/// and an eventfd, receives and decodes, sends a heartbeat every heartbeat interval (however busy),
/// retries held-back sends, and declares the server lost when nothing arrived within the lease.
final class ZMQWorkerLoop: HeldBackSending, @unchecked Sendable {  // mutable state only under `lock` or on the thread
    let mailbox: Mailbox<Message>
    let traffic: TrafficCounters
    let exit = ExitLatch()
    private let signal: EventSignal
    /// Runs the jobs of tasks that prefer this thread (`ZMQWorkerEndpoint.executor`), between waits.
    let executor: SocketExecutor
    private let stopping = Atomic<Bool>(false)
    private let lock = Mutex<Void>(())

    // Guarded by `lock`.
    private var socket: ZMQSocket?
    private var queue = OutboundQueue()
    /// When a send went through after the high-water mark had held one back: the server is
    /// draining our messages, so it is alive even if its heartbeat answers queue behind them.
    private var lastDrained = ContinuousClock.now
    private var heldBack = false
    private var lastHeard = ContinuousClock.now
    /// Decoded messages for `incoming`; the thread yields them after releasing the lock (so the
    /// consumer they wake never waits for the lock the thread still holds).
    private var inbox: [Message] = []

    // The thread's own.
    /// The messages of this turn, taken from `inbox` by swapping (so both keep their storage).
    private var handing: [Message] = []
    private var lastHeartbeat = ContinuousClock.now
    private var heartbeatSequence: UInt64 = 0
    /// Whether the consumer runs on this thread (jobs ran after the last messages were handed over):
    /// then each message is handed over as soon as it is received (the receive that finds the
    /// socket empty comes after the consumer's reply, off the round trip's path), not in batches.
    private var consumerHere = false

    // Constant.
    private let socketFD: Int32
    private let limits: CodecLimits
    private let lease: Duration
    private let heartbeatInterval: Duration
    private let tickMs: Int32
    private static let batchMessages = 256
    private static let batchBytes = 8 << 20

    init(
        socket: ZMQSocket, options: ZMQWorkerOptions,
        mailbox: Mailbox<Message>, traffic: TrafficCounters
    ) throws {
        self.socket = socket
        self.socketFD = try socket.fileDescriptor()
        self.limits = options.limits
        self.lease = options.liveness.lease
        self.heartbeatInterval = options.liveness.heartbeatInterval
        self.tickMs = max(1, min(50, Liveness.milliseconds(options.liveness.heartbeatInterval) / 4))
        self.mailbox = mailbox
        self.traffic = traffic
        self.signal = try EventSignal()
        self.executor = SocketExecutor(signal: signal)
    }

    /// Options every fedhds socket gets: linger 0 (set at creation), high-water marks, maximum
    /// message size, ZMTP heartbeats.
    static func configure(
        _ socket: ZMQSocket, highWaterMark: Int32, limits: CodecLimits, liveness: Liveness,
        connecting: Bool
    ) throws {
        guard highWaterMark > 0 else { throw TransportError.invalidConfiguration("high-water mark must be positive") }
        try socket.set(ZMQ_SNDHWM, highWaterMark)
        try socket.set(ZMQ_RCVHWM, highWaterMark)
        try socket.set(ZMQ_MAXMSGSIZE, int64: Int64(limits.maxMessageBytes))
        try socket.set(ZMQ_HEARTBEAT_IVL, Liveness.milliseconds(liveness.zmtpInterval))
        try socket.set(ZMQ_HEARTBEAT_TIMEOUT, Liveness.milliseconds(liveness.zmtpTimeout))
        if connecting { try socket.set(ZMQ_HEARTBEAT_TTL, min(Liveness.milliseconds(liveness.zmtpTimeout), 6_553_500)) }
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        signal.signal()
    }

    func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "fedhds-zmq-worker"
        thread.start()
    }

    // MARK: Sending (any thread)

    /// Sends `item` now if the socket takes it (and nothing is queued before it), else queues it
    /// for the thread. Returns true when the caller should wait for room (`HeldBackSending.send` does). Throws
    /// the error that ended the loop (`closed`, `peerLost`, `sendTimeout`).
    func trySend(_ item: OutboundSend) throws -> Bool {
        try lock.withLock { _ in
            if let e = queue.closedWith { throw e }
            guard let socket else { throw TransportError.closed }
            // Our send may have eaten a ZMQ_FD edge; the thread itself looks again after its jobs ran.
            defer { if !executor.isCurrentThread, socket.hasInput() { signal.signal() } }
            if queue.isEmpty, try socket.send(item.frames) {
                noteSent(item)
                return false
            }
            return queue.holdBack(item, waking: signal)
        }
    }

    func withHeldBack(_ body: (inout OutboundQueue) -> Void) {
        lock.withLock { _ in body(&queue) }
    }

    private func noteSent(_ item: OutboundSend) {
        if heldBack {
            heldBack = false
            lastDrained = .now
        }
        traffic.record(item.type, .sent, bytes: item.byteCount)
    }

    // MARK: The thread

    private func run() {
        executor.adoptCurrentThread()
        var lostError: TransportError? = nil
        lock.withLock { _ in
            lastHeard = .now
            lastDrained = .now
        }
        lastHeartbeat = .now
        while !stopping.load(ordering: .relaxed) {
            let timeout = lock.withLock { _ -> Int32 in
                defer { swap(&inbox, &handing) }  // `handing` was empty: no array is allocated per turn
                guard let socket else { lostError = .closed; return 0 }
                var more = false
                do { more = try receiveBatch(socket) } catch { lostError = error as? TransportError; return 0 }
                // A receive that ended in EAGAIN has processed libzmq's commands: ZMQ_FD will signal
                // the next message. Only a send since then may have eaten that signal.
                var sent = !queue.isEmpty
                if sent { flush(socket) }
                let now = ContinuousClock.now
                if now - max(lastHeard, lastDrained) > lease {
                    lostError = .peerLost(peer: "server", reason: "no message within the lease of \(lease)")
                    return 0
                }
                if let first = queue.items.first, now >= first.deadline {
                    lostError = .sendTimeout(peer: "server")
                    return 0
                }
                // A heartbeat every interval, however busy: the server's answer is what renews our lease.
                if now - lastHeartbeat >= heartbeatInterval {
                    heartbeatSequence &+= 1
                    if let frames = try? MessageCodec.encodeFrames(.heartbeat(Heartbeat(sequence: heartbeatSequence))),
                        (try? socket.send(frames)) == true
                    {
                        traffic.record(.heartbeat, .sent, bytes: frames.reduce(0) { $0 + $1.byteCount })
                    }
                    lastHeartbeat = now
                    sent = true
                }
                if more || (sent && socket.hasInput()) { return 0 }
                return queue.isEmpty ? tickMs : 1
            }
            for m in handing { _ = mailbox.push(m) }
            let handedOver = !handing.isEmpty
            handing.removeAll(keepingCapacity: true)
            if lostError != nil { break }
            // Jobs that ran may have sent (eating a ZMQ_FD edge): look again first.
            let ran = executor.runPending()
            // Messages handed over without a job running here: their consumer is elsewhere.
            if ran > 0 { consumerHere = true } else if handedOver { consumerHere = false }
            if ran > 0 || executor.hasPending { continue }
            if timeout > 0 { signal.wait(orReadable: socketFD, timeoutMs: timeout) }
        }
        lock.withLock { _ in
            queue.close(with: lostError ?? .closed)
            socket?.close()
            socket = nil
        }
        mailbox.finish(throwing: lostError == .closed ? nil : lostError)
        executor.end()  // jobs left (e.g. the consumer just resumed by `finish`) run on the global executor
        exit.open()
    }

    /// Sends in order until the high-water mark holds one back (retried after the next wait).
    private func flush(_ socket: ZMQSocket) {
        var index = 0
        let items = queue.items
        while index < items.count {
            guard (try? socket.send(items[index].frames)) == true else {
                heldBack = true
                break
            }
            noteSent(items[index])
            index += 1
        }
        if index > 0 { queue.replace(with: Array(items[index...])) }
    }

    /// Receives and handles up to a batch; returns true when it stopped at the batch limit.
    private func receiveBatch(_ socket: ZMQSocket) throws -> Bool {
        var bytes = 0
        for _ in 0..<(consumerHere ? 1 : ZMQWorkerLoop.batchMessages) {
            guard let incoming = try socket.receive(maxFrames: 8, floatFramesFrom: 1) else { return false }
            lastHeard = .now
            let size = incoming.frames.reduce(0) { $0 + $1.byteCount }
            bytes += size
            if incoming.totalFrames <= 2, let message = try? MessageCodec.decodeFrames(incoming.frames, limits: limits)
            {
                traffic.record(message.type, .received, bytes: size)
                if case .heartbeat = message { continue }
                inbox.append(message)
            } else {
                traffic.recordRejected(bytes: size)
            }
            if bytes >= ZMQWorkerLoop.batchBytes { return true }
        }
        return true
    }
}

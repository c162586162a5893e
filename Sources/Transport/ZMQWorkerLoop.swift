import CZeroMQ
import Foundation
import Glibc
import Synchronization

/// The thread that owns a worker's DEALER socket: sends what `OutboundQueue` holds, sends a
/// heartbeat every heartbeat interval (however busy), receives and decodes, and declares the server
/// lost when nothing arrived within the lease. Non-shared members are touched only by that thread.
final class ZMQWorkerLoop: @unchecked Sendable {
    let queue: OutboundQueue
    let continuation: AsyncThrowingStream<Message, any Error>.Continuation
    let traffic: TrafficCounters
    let exit = ExitLatch()
    private let stopping = Atomic<Bool>(false)

    private var socket: ZMQSocket?
    private let limits: CodecLimits
    private let lease: Duration
    private let heartbeatInterval: Duration
    private let tickMs: Int
    private var pending: [OutboundSend] = []
    private var lastHeartbeat = ContinuousClock.now
    private var lastHeard = ContinuousClock.now
    /// When a send went through after the high-water mark had held one back: the server is
    /// draining our messages, so it is alive even if its heartbeat answers queue behind them.
    private var lastDrained = ContinuousClock.now
    private var heldBack = false
    private var heartbeatSequence: UInt64 = 0

    init(socket: ZMQSocket, options: ZMQWorkerOptions,
         continuation: AsyncThrowingStream<Message, any Error>.Continuation, traffic: TrafficCounters) throws {
        self.socket = socket
        self.limits = options.limits
        self.lease = options.liveness.lease
        self.heartbeatInterval = options.liveness.heartbeatInterval
        self.tickMs = max(1, min(50, Int(Liveness.milliseconds(options.liveness.heartbeatInterval) / 4)))
        self.continuation = continuation
        self.traffic = traffic
        self.queue = try OutboundQueue()
    }

    /// Options every fedhds socket gets: linger 0 (set at creation), high-water marks, maximum
    /// message size, ZMTP heartbeats.
    static func configure(_ socket: ZMQSocket, highWaterMark: Int32, limits: CodecLimits, liveness: Liveness,
                          connecting: Bool) throws {
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
        queue.signal.signal()
    }

    func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "fedhds-zmq-worker"
        thread.start()
    }

    private func run() {
        guard let socket else { return }
        var lostError: TransportError? = nil
        lastHeartbeat = .now
        lastHeard = .now
        lastDrained = .now
        while !stopping.load(ordering: .relaxed) {
            if pending.count < OutboundQueue.capacityMessages { pending.append(contentsOf: queue.drain()) }
            if !pending.isEmpty { flush(socket) }
            let readable: Bool
            do {
                (readable, _) = try socket.poll(alsoFD: queue.signal.fd, timeoutMs: pending.isEmpty ? tickMs : 1)
            } catch {
                lostError = error as? TransportError
                break
            }
            queue.signal.reset()
            if readable { receiveBatch(socket) }
            let now = ContinuousClock.now
            if now - max(lastHeard, lastDrained) > lease {
                lostError = .peerLost(peer: "server", reason: "no message within the lease of \(lease)")
                break
            }
            if let first = pending.first, now >= first.deadline {
                lostError = .sendTimeout(peer: "server")
                break
            }
            // A heartbeat every interval, however busy: the server's answer is what renews our lease.
            if now - lastHeartbeat >= heartbeatInterval {
                heartbeatSequence &+= 1
                if let frames = try? MessageCodec.encodeFrames(.heartbeat(Heartbeat(sequence: heartbeatSequence))),
                   (try? socket.send(frames)) == true {
                    traffic.record(.heartbeat, .sent, bytes: frames.reduce(0) { $0 + $1.byteCount })
                }
                lastHeartbeat = now
            }
        }
        _ = queue.close(with: lostError ?? .closed)
        pending = []
        socket.close()
        self.socket = nil
        if let lostError { continuation.finish(throwing: lostError) } else { continuation.finish() }
        exit.open()
    }

    /// Sends in order until the high-water mark holds one back (retried after the next poll).
    private func flush(_ socket: ZMQSocket) {
        var index = 0
        while index < pending.count {
            let item = pending[index]
            guard (try? socket.send(item.frames)) != false else {
                heldBack = true
                break
            }
            if heldBack {
                heldBack = false
                lastDrained = .now
            }
            traffic.record(item.type, .sent, bytes: item.byteCount)
            index += 1
        }
        pending.removeFirst(index)
    }

    private func receiveBatch(_ socket: ZMQSocket) {
        for _ in 0..<4096 {
            guard let incoming = try? socket.receive(maxFrames: 8, floatFramesFrom: 1) else { return }
            lastHeard = .now
            let size = incoming.frames.reduce(0) { $0 + $1.byteCount }
            guard incoming.totalFrames <= 2, let message = try? MessageCodec.decodeFrames(incoming.frames, limits: limits) else {
                traffic.recordRejected(bytes: size)
                continue
            }
            traffic.record(message.type, .received, bytes: size)
            if case .heartbeat = message { continue }
            continuation.yield(message)
        }
    }
}

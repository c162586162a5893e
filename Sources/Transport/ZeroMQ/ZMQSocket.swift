import CZeroMQ
import Glibc

/// One multipart message as received: its frames (at most the requested number are kept),
/// the total number of frames, and the "User-Id" the ZAP handler gave the connection.
@_spi(Bench) public struct ZMQIncoming {
    @_spi(Bench) public var frames: [WireFrame]
    var totalFrames: Int
    var userID: String?
}

/// Keeps a float array alive while libzmq sends from its storage.
final class FloatStorageOwner {
    let values: [Float]
    init(_ values: [Float]) { self.values = values }
}

/// A thin wrapper over a libzmq socket. Not thread-safe: created and configured on one thread,
/// then owned by exactly one thread (handing over at `Thread.start`, a full memory barrier).
@_spi(Bench) public final class ZMQSocket {
    private(set) var handle: UnsafeMutableRawPointer?
    private let msg: UnsafeMutablePointer<zmq_msg_t>
    /// Keeps the context alive as long as the socket is open.
    let context: ZMQContext

    @_spi(Bench) public init(context: ZMQContext, type: Int32) throws {
        guard let h = zmq_socket(context.handle, type) else { throw ZMQContext.lastError("zmq_socket") }
        handle = h
        self.context = context
        msg = .allocate(capacity: 1)
        try set(ZMQ_LINGER, 0)
    }

    deinit {
        close()
        msg.deallocate()
    }

    @_spi(Bench) public func close() {
        if let h = handle { zmq_close(h) }
        handle = nil
    }

    private func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws {
        if rc != 0 { throw ZMQContext.lastError(operation()) }
    }

    @_spi(Bench) public func set(_ option: Int32, _ value: Int32) throws {
        var v = value
        try check(zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size), "zmq_setsockopt(\(option))")
    }

    func set(_ option: Int32, int64 value: Int64) throws {
        var v = value
        try check(zmq_setsockopt(handle, option, &v, MemoryLayout<Int64>.size), "zmq_setsockopt(\(option))")
    }

    func set(_ option: Int32, bytes: [UInt8]) throws {
        try check(
            bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) },
            "zmq_setsockopt(\(option))")
    }

    /// A string option, without a terminating NUL (libzmq takes the length as given; a 40-byte
    /// CURVE key is read as Z85).
    func set(_ option: Int32, text: String) throws {
        try set(option, bytes: Array(text.utf8))
    }

    @_spi(Bench) public func getString(_ option: Int32) throws -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        try check(zmq_getsockopt(handle, option, &buffer, &size), "zmq_getsockopt(\(option))")
        return ZMQContext.text(buffer)
    }

    @_spi(Bench) public func bind(_ endpoint: String) throws {
        try check(zmq_bind(handle, endpoint), "zmq_bind(\(endpoint))")
    }
    @_spi(Bench) public func connect(_ endpoint: String) throws {
        try check(zmq_connect(handle, endpoint), "zmq_connect(\(endpoint))")
    }

    @_spi(Bench) public func send(_ frames: [[UInt8]], prefix: [UInt8]? = nil, blocking: Bool = false) throws -> Bool {
        try send(frames.map { WireFrame.bytes($0) }, prefix: prefix, blocking: blocking)
    }

    /// Float frames at least this large are handed to libzmq without copying.
    static let zeroCopyBytes = 32 << 10

    /// Sends `prefix` (if any) then `frames` as one multipart message without blocking.
    /// Returns false when nothing could be sent (EAGAIN: high-water mark or no peer yet).
    @_spi(Bench) public func send(_ frames: [WireFrame], prefix: [UInt8]? = nil, blocking: Bool = false) throws -> Bool
    {
        let base = blocking ? 0 : ZMQ_DONTWAIT
        var index = 0
        if let prefix {
            guard try sendPart(.bytes(prefix), flags: base | (frames.isEmpty ? 0 : ZMQ_SNDMORE), first: true) else {
                return false
            }
            index = 1
        }
        for (i, part) in frames.enumerated() {
            let flags = base | (i < frames.count - 1 ? ZMQ_SNDMORE : 0)
            guard try sendPart(part, flags: flags, first: index == 0) else { return false }
            index += 1
        }
        return true
    }

    /// Sends one frame; false when the first frame meets EAGAIN (nothing was sent).
    private func sendPart(_ part: WireFrame, flags: Int32, first: Bool) throws -> Bool {
        while true {
            let sent: Bool
            if case let .floats(values) = part, values.count * 4 >= ZMQSocket.zeroCopyBytes {
                sent = sendWithoutCopy(values, flags: flags)
            } else {
                sent = part.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) } >= 0
            }
            if sent { return true }
            let e = zmq_errno()
            if e == EINTR { continue }
            if e == EAGAIN && first { return false }
            throw ZMQContext.lastError("zmq_send")
        }
    }

    /// Gives libzmq the array's own storage; the array is kept alive until libzmq frees the message.
    private func sendWithoutCopy(_ values: [Float], flags: Int32) -> Bool {
        let owner = FloatStorageOwner(values)
        let data = owner.values.withUnsafeBytes { UnsafeMutableRawPointer(mutating: $0.baseAddress!) }
        let hint = Unmanaged.passRetained(owner).toOpaque()
        let free: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, hint in
            if let hint { Unmanaged<FloatStorageOwner>.fromOpaque(hint).release() }
        }
        guard zmq_msg_init_data(msg, data, values.count * 4, free, hint) == 0 else {
            Unmanaged<FloatStorageOwner>.fromOpaque(hint).release()
            return false
        }
        if zmq_msg_send(msg, handle, flags) >= 0 { return true }
        let e = zmq_errno()
        zmq_msg_close(msg)  // not sent: release the storage (calls `free`)
        errno = e
        return false
    }

    /// Receives one multipart message, keeping at most `maxFrames` frames; nil when none is
    /// waiting (non-blocking). Frames from index `floatFramesFrom` on whose size is a multiple of
    /// 4 are received straight into float storage, checked finite in the same pass (see
    /// `WireFrame.floats`); a frame that is not all finite is kept as bytes.
    /// With `userID` (a CURVE server), the "User-Id" property of the first frame that has one is read (the ZAP
    /// handler sets it per connection, so every frame that carries it carries the same). Debian's libzmq 4.3.4
    /// now and then hands out a ROUTER's routing-id frame without the connection's metadata (seen in about 1 of
    /// 3 Coreset-Cent cluster runs, on a small message right after large ones); the data frames still have it.
    @_spi(Bench) public func receive(
        maxFrames: Int = 16, blocking: Bool = false, floatFramesFrom: Int? = nil,
        userID: Bool = false
    ) throws -> ZMQIncoming? {
        var incoming = ZMQIncoming(frames: [], totalFrames: 0, userID: nil)
        var more = true
        while more {
            try check(zmq_msg_init(msg), "zmq_msg_init")
            defer { zmq_msg_close(msg) }
            let flags = (blocking || incoming.totalFrames > 0) ? 0 : ZMQ_DONTWAIT
            var rc: Int32
            repeat { rc = zmq_msg_recv(msg, handle, flags) } while rc < 0 && zmq_errno() == EINTR
            if rc < 0 {
                if zmq_errno() == EAGAIN && incoming.totalFrames == 0 { return nil }
                throw ZMQContext.lastError("zmq_msg_recv")
            }
            let index = incoming.totalFrames
            incoming.totalFrames += 1
            if incoming.frames.count < maxFrames {
                let size = zmq_msg_size(msg)
                #if _endian(little)
                    let asFloats = floatFramesFrom.map { index >= $0 } ?? false
                #else
                    let asFloats = false
                #endif
                if asFloats, size > 0, size % 4 == 0, let values = finiteFloats(of: msg, bytes: size) {
                    incoming.frames.append(.floats(values))
                } else {  // not a float frame, or one the decoder will reject naming its first non-finite value
                    incoming.frames.append(
                        .bytes(
                            [UInt8](unsafeUninitializedCapacity: size) { out, n in
                                if size > 0 { memcpy(out.baseAddress!, zmq_msg_data(msg), size) }
                                n = size
                            }))
                }
            }
            if userID, incoming.userID == nil, let uid = zmq_msg_gets(msg, "User-Id") {
                incoming.userID = String(cString: uid)
            }
            more = zmq_msg_more(msg) != 0
        }
        return incoming
    }

    /// The frame in `message` as floats when all of them are finite, else nil (copied and checked
    /// in one pass).
    private func finiteFloats(of message: UnsafeMutablePointer<zmq_msg_t>, bytes: Int) -> [Float]? {
        var finite = false
        let values = [Float](unsafeUninitializedCapacity: bytes / 4) { out, count in
            finite = FloatFrame.copyFinite(zmq_msg_data(message), into: out.baseAddress!, count: bytes / 4)
            count = bytes / 4
        }
        return finite ? values : nil
    }

    /// The socket's ZMQ_FD: readable (edge-triggered) whenever ZMQ_EVENTS may have changed.
    func fileDescriptor() throws -> Int32 {
        var fd: Int32 = -1
        var size = MemoryLayout<Int32>.size
        try check(zmq_getsockopt(handle, ZMQ_FD, &fd, &size), "zmq_getsockopt(ZMQ_FD)")
        return fd
    }

    /// Whether a message can be received now (ZMQ_EVENTS). Also processes the socket's pending
    /// commands, which can consume a ZMQ_FD edge: check this after sending from a thread that
    /// does not own the wait.
    func hasInput() -> Bool {
        var events: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(handle, ZMQ_EVENTS, &events, &size) == 0 else { return false }
        return events & Int32(ZMQ_POLLIN) != 0
    }

    /// Waits up to `timeoutMs` for this socket (and optionally an fd) to become readable.
    /// Returns (socket readable, fd readable).
    func poll(alsoFD fd: Int32?, timeoutMs: Int) throws -> (Bool, Bool) {
        var items = [zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)]
        if let fd { items.append(zmq_pollitem_t(socket: nil, fd: fd, events: Int16(ZMQ_POLLIN), revents: 0)) }
        let rc = zmq_poll(&items, Int32(items.count), timeoutMs)
        if rc < 0 {
            if zmq_errno() == EINTR { return (false, false) }
            throw ZMQContext.lastError("zmq_poll")
        }
        return (items[0].revents & Int16(ZMQ_POLLIN) != 0, items.count > 1 && items[1].revents & Int16(ZMQ_POLLIN) != 0)
    }
}

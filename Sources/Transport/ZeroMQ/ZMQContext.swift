import CZeroMQ
import Synchronization

/// A libzmq context. `inproc://` endpoints only reach sockets of the same context, and the CURVE
/// authenticator (ZAP handler) is per context. Most code uses `ZMQContext.shared`.
public final class ZMQContext: @unchecked Sendable {  // libzmq contexts are thread-safe
    let handle: UnsafeMutableRawPointer
    private let authenticatorLock = Mutex<ZAPAuthenticator?>(nil)

    /// The process-wide context.
    public static let shared: ZMQContext = {
        do { return try ZMQContext() } catch { return ZMQContext(failed: ()) }
    }()

    /// A new context with `ioThreads` I/O threads and room for `maxSockets` sockets.
    public init(ioThreads: Int32 = 1, maxSockets: Int32 = 8192) throws {
        guard let h = zmq_ctx_new() else { throw ZMQContext.lastError("zmq_ctx_new") }
        handle = h
        guard zmq_ctx_set(h, ZMQ_IO_THREADS, ioThreads) == 0 else {
            throw ZMQContext.lastError("zmq_ctx_set(ZMQ_IO_THREADS)")
        }
        guard zmq_ctx_set(h, ZMQ_MAX_SOCKETS, maxSockets) == 0 else {
            throw ZMQContext.lastError("zmq_ctx_set(ZMQ_MAX_SOCKETS)")
        }
    }

    private init(failed: Void) {
        // zmq_ctx_new only fails when out of memory; keep a context with defaults anyway.
        handle = zmq_ctx_new()!
    }

    /// The ZAP handler of this context, started on first use.
    func authenticator() throws -> ZAPAuthenticator {
        try authenticatorLock.withLock { a in
            if let a { return a }
            let made = try ZAPAuthenticator(context: self)
            a = made
            return made
        }
    }

    /// A `TransportError.zmq` for the current zmq_errno.
    static func lastError(_ operation: String) -> TransportError {
        let e = zmq_errno()
        return .zmq(operation: operation, errno: e, text: String(cString: zmq_strerror(e)))
    }

    /// The text of a NUL-terminated C buffer.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        authenticatorLock.withLock { $0?.stop() }
        zmq_ctx_term(handle)
    }
}

import CZeroMQ
import Glibc

/// An eventfd that other threads signal to wake a socket thread out of `zmq_poll`.
final class EventSignal: @unchecked Sendable {  // eventfd reads and writes are thread-safe
    let fd: Int32

    init() throws {
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else {
            throw TransportError.zmq(operation: "eventfd", errno: errno, text: String(cString: strerror(errno)))
        }
        self.fd = fd
    }

    func signal() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(fd, $0.baseAddress, 8) }
    }

    func reset() {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { read(fd, $0.baseAddress, 8) }
    }

    deinit { close(fd) }
}

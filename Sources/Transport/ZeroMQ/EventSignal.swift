import CZeroMQ
import Glibc

/// An eventfd that other threads signal to wake a socket thread out of its wait.
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

    /// Waits up to `timeoutMs` until this signal or `socketFD` (a socket's ZMQ_FD) is readable,
    /// then clears the signal. ZMQ_FD only says "look at ZMQ_EVENTS": the caller must then receive
    /// until EAGAIN (or check ZMQ_EVENTS) before waiting again.
    func wait(orReadable socketFD: Int32, timeoutMs: Int32) {
        let signalled = withUnsafeTemporaryAllocation(of: pollfd.self, capacity: 2) { fds -> Bool in
            fds[0] = pollfd(fd: socketFD, events: Int16(POLLIN), revents: 0)
            fds[1] = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(fds.baseAddress, 2, timeoutMs)  // EINTR: the caller's loop looks again
            return fds[1].revents != 0
        }
        if signalled { reset() }
    }

    deinit { close(fd) }
}

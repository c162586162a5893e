import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// A TCP relay inside a network namespace that holds every chunk it forwards for a fixed delay,
/// in each direction: the link delay of `tc netem delay`, for kernels built without sch_netem.
/// Its sockets are made on one thread that has entered the namespace (`setns` changes only the
/// calling thread); sockets keep their namespace wherever they are used afterwards.
/// Test-only: root, IPv4, one listening address, a thread per connection direction.
final class DelayRelay: @unchecked Sendable {
    enum Failure: Error, CustomStringConvertible {
        case system(String)
        var description: String {
            switch self {
            case let .system(s): return "delay relay: \(s)"
            }
        }
    }

    private let namespace: String
    private let listenAddress: (host: String, port: UInt16)
    private let target: (host: String, port: UInt16)
    private let delay: TimeInterval
    private let lock = NSLock()
    private var listener: Int32 = -1
    private var sockets: [Int32] = []
    private var stopped = false
    private var startFailure: Failure?
    private var forwarded = 0
    private var shortestHold = TimeInterval.infinity

    /// Bytes relayed so far (both directions) and the shortest time a chunk was held.
    var traffic: (bytes: Int, shortestHold: TimeInterval) { lock.withLock { (forwarded, shortestHold) } }

    /// Relays connections to `listen` (an address in `namespace`) to `target`, as seen from that
    /// namespace, holding every chunk `delay` seconds.
    init(namespace: String, listen: (String, UInt16), target: (String, UInt16), delay: TimeInterval) {
        self.namespace = namespace
        self.listenAddress = listen
        self.target = target
        self.delay = delay
    }

    /// Starts listening; returns once the listening socket is bound (or throws why it could not).
    func start() throws {
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            var ok = true
            do {
                try enterNamespace()
                let fd = try makeListener()
                lock.withLock { listener = fd }
            } catch {
                ok = false
                lock.withLock { startFailure = error as? Failure ?? .system("\(error)") }
            }
            ready.signal()
            if ok { acceptLoop() }
        }
        thread.start()
        ready.wait()
        if let failure = lock.withLock({ startFailure }) { throw failure }
    }

    /// Closes the listener and every relayed connection.
    func stop() {
        let all: [Int32] = lock.withLock {
            stopped = true
            let s = sockets + [listener]
            sockets = []
            listener = -1
            return s
        }
        for fd in all where fd >= 0 {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    private func enterNamespace() throws {
        let fd = open("/var/run/netns/\(namespace)", O_RDONLY)
        guard fd >= 0 else { throw Failure.system("open netns \(namespace): errno \(errno)") }
        defer { close(fd) }
        guard linuxSetns(fd, 0x4000_0000 /* CLONE_NEWNET */) == 0 else {
            throw Failure.system("setns \(namespace): errno \(errno)")
        }
    }

    private static func address(_ host: String, _ port: UInt16) throws -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &a.sin_addr) == 1 else { throw Failure.system("bad IPv4 address \(host)") }
        return a
    }

    private func makeListener() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.system("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = try Self.address(listenAddress.host, listenAddress.port)
        let bound = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw Failure.system("bind/listen \(listenAddress.host):\(listenAddress.port): errno \(errno)")
        }
        return fd
    }

    /// Runs on the namespace thread: each accepted connection gets a connection to the target
    /// (made here, so in the namespace) and two pumps.
    private func acceptLoop() {
        while true {
            let fd = lock.withLock { listener }
            guard fd >= 0 else { return }
            let client = accept(fd, nil, nil)
            if client < 0 { if errno == EINTR { continue } else { return } }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var a = (try? Self.address(target.host, target.port)) ?? sockaddr_in()
            let connected = withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            let keep = lock.withLock { () -> Bool in
                guard !stopped, upstream >= 0, connected == 0 else { return false }
                sockets += [client, upstream]
                return true
            }
            guard keep else {
                close(client)
                if upstream >= 0 { close(upstream) }
                continue
            }
            pump(from: client, to: upstream)
            pump(from: upstream, to: client)
        }
    }

    /// Forwards `from` to `to`, each chunk sent `delay` after it arrived, in order. The reading
    /// thread queues (due time, bytes); the sending thread waits for each chunk's due time.
    private func pump(from: Int32, to: Int32) {
        let queue = ChunkQueue()
        Thread { [delay] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { queue.put(nil, due: Date().addingTimeInterval(delay)); return }
                queue.put(Array(buffer[0..<n]), due: Date().addingTimeInterval(delay))
            }
        }.start()
        Thread { [self, delay] in
            while let (chunk, due) = queue.take() {
                let wait = due.timeIntervalSinceNow
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                guard let chunk else { shutdown(to, Int32(SHUT_WR)); return }
                let held = delay - due.timeIntervalSinceNow
                lock.withLock {
                    forwarded += chunk.count
                    shortestHold = min(shortestHold, held)
                }
                var sent = 0
                while sent < chunk.count {
                    let n = chunk.withUnsafeBytes {
                        send(to, $0.baseAddress! + sent, chunk.count - sent, Int32(MSG_NOSIGNAL))
                    }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { shutdown(from, Int32(SHUT_RDWR)); return }
                    sent += n
                }
            }
        }.start()
    }
}

/// setns(2), which Glibc's Swift module leaves out (it is behind _GNU_SOURCE).
@_silgen_name("setns") private func linuxSetns(_ fd: Int32, _ nstype: Int32) -> Int32

/// The chunks of one relay direction with their due times; `nil` marks the end of the stream.
private final class ChunkQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [([UInt8]?, Date)] = []
    private var ended = false

    func put(_ chunk: [UInt8]?, due: Date) {
        condition.lock()
        items.append((chunk, due))
        condition.signal()
        condition.unlock()
    }

    /// The next chunk and its due time; nil after the end marker was taken.
    func take() -> ([UInt8]?, Date)? {
        condition.lock()
        defer { condition.unlock() }
        if ended { return nil }
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()
        if item.0 == nil { ended = true }
        return item
    }
}

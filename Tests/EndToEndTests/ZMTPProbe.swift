import Foundation

/// A minimal ZMTP 3.0 DEALER over a plain TCP socket (NULL mechanism), to put bytes on the wire
/// that are no fedhds envelope: what a buggy or hostile peer could send.
enum ZMTPProbe {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func sendGarbage(port: Int, frames: [[UInt8]]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw Failure(description: "connect to port \(port) failed (errno \(errno))") }
        func write(_ bytes: [UInt8]) throws {
            var off = 0
            while off < bytes.count {
                let n = bytes[off...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { throw Failure(description: "send failed") }
                off += n
            }
        }
        func read(_ count: Int) throws -> [UInt8] {
            var out = [UInt8](repeating: 0, count: count)
            var off = 0
            while off < count {
                let n = out[off...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { throw Failure(description: "peer closed during the handshake") }
                off += n
            }
            return out
        }
        // Greeting: signature, version 3.0, mechanism NULL, as-server 0, filler.
        var greeting: [UInt8] = [0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 0]
        greeting += Array("NULL".utf8) + [UInt8](repeating: 0, count: 16)
        greeting += [0] + [UInt8](repeating: 0, count: 31)
        try write(greeting)
        _ = try read(64)
        // READY with Socket-Type DEALER.
        var body: [UInt8] = [5] + Array("READY".utf8)
        body += [11] + Array("Socket-Type".utf8) + [0, 0, 0, 6] + Array("DEALER".utf8)
        try write([0x04, UInt8(body.count)] + body)
        let head = try read(2)
        let size = (head[0] & 0x02) != 0 ? Int(try read(7).last!) : Int(head[1])  // server READY (short)
        _ = try read(size)
        for (i, f) in frames.enumerated() {
            try write([i == frames.count - 1 ? 0x00 : 0x01, UInt8(f.count)] + f)
        }
        Thread.sleep(forTimeInterval: 0.5)
    }
}

/// Appends little-endian fields to an envelope frame.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func int(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }

    mutating func count(_ n: Int) { u32(UInt32(truncatingIfNeeded: n)) }

    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        count(utf8.count)
        bytes.append(contentsOf: utf8)
    }

    mutating func ints(_ a: [Int]) {
        count(a.count)
        for v in a { int(v) }
    }

    mutating func strings(_ a: [String]) {
        count(a.count)
        for s in a { string(s) }
    }

    /// A map as (count, then key-sorted pairs), so the encoding is deterministic.
    mutating func doubleMap(_ m: [String: Double]) {
        count(m.count)
        for k in m.keys.sorted() { string(k); f64(m[k]!) }
    }

    mutating func intMap(_ m: [String: Int]) {
        count(m.count)
        for k in m.keys.sorted() { string(k); int(m[k]!) }
    }
}

/// Appends little-endian fields to an envelope frame.
struct ByteWriter {
    var bytes: [UInt8] = []
    /// The float payload written by `floats` (nil: the message has none).
    private(set) var payload: [Float]?

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func int(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }

    /// A count the receiver reads with `ByteReader.nonNegative`: refused here when negative.
    mutating func nonNegative(_ v: Int, _ field: String) throws {
        guard v >= 0 else { throw TransportError.invalidValue(field: field, reason: "\(v) is negative") }
        int(v)
    }
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

    /// An optional integer: a flag byte (0 absent, 1 present), then the value when present.
    mutating func optionalInt(_ v: Int?) {
        if let v { u8(1); int(v) } else { u8(0) }
    }

    /// An optional finite double, flagged like `optionalInt`.
    mutating func optionalDouble(_ v: Double?, _ field: String) throws {
        guard let v else { u8(0); return }
        guard v.isFinite else { throw TransportError.nonFinite(field: field, index: 0) }
        u8(1)
        f64(v)
    }

    mutating func finiteDouble(_ v: Double, _ field: String) throws {
        guard v.isFinite else { throw TransportError.nonFinite(field: field, index: 0) }
        f64(v)
    }

    /// The float payload of the message (frame 1): its count here, the values in `payload`. Throws
    /// when a value is not finite, so that nothing is sent that the receiver would reject.
    mutating func floats(_ values: [Float], _ field: String) throws {
        if let bad = FloatFrame.firstNonFinite(values) { throw TransportError.nonFinite(field: field, index: bad) }
        u64(UInt64(values.count))
        payload = values
    }
}

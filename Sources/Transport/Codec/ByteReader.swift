/// Reads little-endian fields from an envelope frame, checking every length against the bytes
/// present before allocating anything.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let maxStringBytes: Int
    /// The message's float frame (frame 1), read by `floats`.
    let payload: WireFrame?
    let maxFloats: Int

    init(_ bytes: [UInt8], offset: Int = 0, maxStringBytes: Int, payload: WireFrame? = nil, maxFloats: Int = 0) {
        self.bytes = bytes
        self.offset = offset
        self.maxStringBytes = maxStringBytes
        self.payload = payload
        self.maxFloats = maxFloats
    }

    var remaining: Int { bytes.count - offset }

    private mutating func take(_ n: Int, _ field: String) throws -> Int {
        guard n >= 0, n <= remaining else { throw TransportError.truncated(field: field) }
        let start = offset
        offset += n
        return start
    }

    mutating func u8(_ field: String) throws -> UInt8 {
        let s = try take(1, field)
        return bytes[s]
    }

    mutating func u16(_ field: String) throws -> UInt16 {
        let s = try take(2, field)
        return UInt16(bytes[s]) | UInt16(bytes[s + 1]) << 8
    }

    mutating func u32(_ field: String) throws -> UInt32 {
        let s = try take(4, field)
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[s + i]) << (8 * UInt32(i)) }
        return v
    }

    mutating func u64(_ field: String) throws -> UInt64 {
        let s = try take(8, field)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[s + i]) << (8 * UInt64(i)) }
        return v
    }

    mutating func i32(_ field: String) throws -> Int32 { Int32(bitPattern: try u32(field)) }
    mutating func int(_ field: String) throws -> Int { Int(Int64(bitPattern: try u64(field))) }

    /// A non-negative 64-bit integer.
    mutating func nonNegative(_ field: String) throws -> Int {
        let v = try int(field)
        guard v >= 0 else { throw TransportError.invalidValue(field: field, reason: "\(v) is negative") }
        return v
    }

    mutating func finiteDouble(_ field: String) throws -> Double {
        let v = Double(bitPattern: try u64(field))
        guard v.isFinite else { throw TransportError.nonFinite(field: field, index: 0) }
        return v
    }

    /// An element count, checked so that `count * minElementBytes` bytes can still follow.
    mutating func count(_ field: String, minElementBytes: Int) throws -> Int {
        let n = Int(try u32(field))
        guard n * minElementBytes <= remaining else { throw TransportError.truncated(field: field) }
        return n
    }

    mutating func string(_ field: String) throws -> String {
        let n = Int(try u32(field))
        guard n <= maxStringBytes else { throw TransportError.tooLarge(field: field, size: n, limit: maxStringBytes) }
        let s = try take(n, field)
        guard let str = String(validating: bytes[s..<(s + n)], as: UTF8.self) else {
            throw TransportError.invalidUTF8(field: field)
        }
        return str
    }

    mutating func ints(_ field: String) throws -> [Int] {
        let n = try count(field, minElementBytes: 8)
        var out = [Int]()
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try int(field)) }
        return out
    }

    mutating func strings(_ field: String) throws -> [String] {
        let n = try count(field, minElementBytes: 4)
        var out = [String]()
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try string(field)) }
        return out
    }

    /// The flag before an optional value (`ByteWriter.optionalInt`, `optionalDouble`): 0 absent, 1 present.
    mutating func present(_ field: String) throws -> Bool {
        switch try u8(field + ".present") {
        case 0: return false
        case 1: return true
        case let b: throw TransportError.invalidValue(field: field + ".present", reason: "flag \(b) is not 0 or 1")
        }
    }

    mutating func optionalInt(_ field: String) throws -> Int? { try present(field) ? try int(field) : nil }

    mutating func optionalDouble(_ field: String) throws -> Double? {
        try present(field) ? try finiteDouble(field) : nil
    }

    /// The float payload (frame 1) whose count `ByteWriter.floats` wrote here: at most
    /// `maxFloats`, all finite.
    mutating func floats(_ field: String) throws -> [Float] {
        let n64 = try u64(field + ".count")
        guard n64 <= UInt64(maxFloats) else {
            throw TransportError.tooLarge(field: field, size: Int(clamping: n64) &* 4, limit: maxFloats * 4)
        }
        guard let payload else { throw TransportError.frameCount(expected: 2, got: 1) }
        return try FloatFrame.floats(from: payload, count: Int(n64), field: field)
    }
}

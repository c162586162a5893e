import Foundation

/// Raw little-endian float32 frames: the wire form of large float payloads.
enum FloatFrame {
    /// The bytes of `values` as little-endian float32.
    static func bytes(of values: [Float]) -> [UInt8] {
        let n = values.count * 4
        return [UInt8](unsafeUninitializedCapacity: n) { out, count in
            values.withUnsafeBytes { src in
                if n > 0 { memcpy(out.baseAddress!, src.baseAddress!, n) }
            }
            #if _endian(big)
            out.withMemoryRebound(to: UInt32.self) { w in for i in w.indices { w[i] = w[i].byteSwapped } }
            #endif
            count = n
        }
    }

    /// Decodes a frame of exactly `count` little-endian float32 values, all finite.
    static func floats(from frame: WireFrame, count: Int, field: String) throws -> [Float] {
        switch frame {
        case let .bytes(b): return try floats(from: b, count: count, field: field)
        case let .floats(values):
            guard values.count == count else {
                throw TransportError.lengthMismatch(field: field, expected: count * 4, got: values.count * 4)
            }
            if let bad = firstNonFinite(values) { throw TransportError.nonFinite(field: field, index: bad) }
            return values
        }
    }

    static func floats(from frame: [UInt8], count: Int, field: String) throws -> [Float] {
        guard frame.count == count * 4 else {
            throw TransportError.lengthMismatch(field: field, expected: count * 4, got: frame.count)
        }
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            frame.withUnsafeBytes { src in
                if count > 0 { memcpy(out.baseAddress!, src.baseAddress!, count * 4) }
            }
            #if _endian(big)
            out.withMemoryRebound(to: UInt32.self) { w in for i in w.indices { w[i] = w[i].byteSwapped } }
            #endif
            initialized = count
        }
        if let bad = firstNonFinite(values) { throw TransportError.nonFinite(field: field, index: bad) }
        return values
    }

    /// Index of the first NaN or infinity, nil when all are finite. Vectorisable bit test first.
    static func firstNonFinite(_ values: [Float]) -> Int? {
        values.withUnsafeBytes { raw -> Int? in
            let w = raw.bindMemory(to: UInt32.self)
            var any: UInt32 = 0
            for x in w { any |= ((x & 0x7f80_0000) == 0x7f80_0000) ? 1 : 0 }
            if any == 0 { return nil }
            return w.firstIndex { ($0 & 0x7f80_0000) == 0x7f80_0000 }
        }
    }
}

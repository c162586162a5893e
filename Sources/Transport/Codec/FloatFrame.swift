import CWire
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

    /// Decodes a frame of exactly `count` little-endian float32 values, all finite. A `.floats`
    /// frame is known finite (see `WireFrame.floats`) and is only counted.
    static func floats(from frame: WireFrame, count: Int, field: String) throws -> [Float] {
        switch frame {
        case let .bytes(b): return try floats(from: b, count: count, field: field)
        case let .floats(values):
            guard values.count == count else {
                throw TransportError.lengthMismatch(field: field, expected: count * 4, got: values.count * 4)
            }
            return values
        }
    }

    static func floats(from frame: [UInt8], count: Int, field: String) throws -> [Float] {
        guard frame.count == count * 4 else {
            throw TransportError.lengthMismatch(field: field, expected: count * 4, got: frame.count)
        }
        #if _endian(little)
            var finite = true
            let values = frame.withUnsafeBytes { src in
                [Float](unsafeUninitializedCapacity: count) { out, initialized in
                    if count > 0 { finite = copyFinite(src.baseAddress!, into: out.baseAddress!, count: count) }
                    initialized = count
                }
            }
            if finite { return values }
        #else
            let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
                frame.withUnsafeBytes { src in
                    if count > 0 { memcpy(out.baseAddress!, src.baseAddress!, count * 4) }
                }
                out.withMemoryRebound(to: UInt32.self) { w in for i in w.indices { w[i] = w[i].byteSwapped } }
                initialized = count
            }
        #endif
        if let bad = firstNonFinite(values) { throw TransportError.nonFinite(field: field, index: bad) }
        return values
    }

    /// Copies `count` float32 values from `source` (any alignment) to `destination` and tells
    /// whether all of them are finite: the copy and the check in one pass over the data (AVX-512
    /// when the CPU has it), with the branch-free test of `firstNonFinite`.
    static func copyFinite(_ source: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>, count: Int)
        -> Bool
    {
        cw_copy_finite_f32(source, destination, count) != 0
    }

    /// Index of the first NaN or infinity, nil when all are finite.
    static func firstNonFinite(_ values: [Float]) -> Int? {
        values.withUnsafeBufferPointer { firstNonFinite($0) }
    }

    /// Index of the first NaN or infinity, nil when all are finite. A value is not finite when its
    /// exponent bits are all ones, i.e. when `(bits & 0x7fffffff) + 0x00800000` reaches bit 31: an
    /// OR of that over 16 lanes at a time (no branch per value, so it vectorises) tells whether to
    /// look for the index at all.
    static func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
        guard let base = values.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        let n = values.count
        let magnitude = SIMD16<UInt32>(repeating: 0x7fff_ffff), carry = SIMD16<UInt32>(repeating: 0x0080_0000)
        var acc = SIMD16<UInt32>()
        var i = 0
        while i + 16 <= n {
            acc |= (raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<UInt32>.self) & magnitude) &+ carry
            i += 16
        }
        var any: UInt32 = 0
        for lane in 0..<16 { any |= acc[lane] }
        while i < n {
            any |= (raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self) & 0x7fff_ffff) &+ 0x0080_0000
            i += 1
        }
        if any & 0x8000_0000 == 0 { return nil }
        return values.firstIndex { !$0.isFinite }
    }
}

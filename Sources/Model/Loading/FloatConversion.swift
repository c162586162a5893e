/// Conversions of 16-bit floats to Float, as tight loops over raw little-endian bytes.
enum FloatConversion {
    /// IEEE half precision bits to Float (subnormals, infinities and NaN included).
    @inline(__always)
    static func half(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        var mantissa = UInt32(h & 0x3FF)
        if exponent == 0x1F {  // inf / NaN
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {
            if mantissa == 0 { return Float(bitPattern: sign) }
            // subnormal: normalise
            var e: UInt32 = 127 - 15 + 1
            while mantissa & 0x400 == 0 {
                mantissa <<= 1
                e -= 1
            }
            mantissa &= 0x3FF
            return Float(bitPattern: sign | (e << 23) | (mantissa << 13))
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// bfloat16 bits to Float.
    @inline(__always)
    static func bfloat(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }

    /// `count` little-endian halves at `src` into `dst`.
    static func halves(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableBufferPointer<Float>) {
        let table = halfTable
        table.withUnsafeBufferPointer { t in
            for i in 0..<dst.count {
                let h = UInt16(src[2 * i]) | UInt16(src[2 * i + 1]) << 8
                dst[i] = t[Int(h)]
            }
        }
    }

    /// `count` little-endian bfloat16s at `src` into `dst`.
    static func bfloats(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<dst.count {
            let b = UInt32(src[2 * i]) << 16 | UInt32(src[2 * i + 1]) << 24
            dst[i] = Float(bitPattern: b)
        }
    }

    /// `count` little-endian Float32s at `src` into `dst`.
    static func floats(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableBufferPointer<Float>) {
        guard let d = dst.baseAddress, let s = src.baseAddress else { return }
        // Little-endian host: a plain copy (the source need not be 4-byte aligned).
        UnsafeMutableRawPointer(d).copyMemory(from: s, byteCount: dst.count * 4)
    }

    /// All 65536 half values, so half-to-float is one load per element.
    static let halfTable: [Float] = (0...0xFFFF).map { half(UInt16($0)) }
}

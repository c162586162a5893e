/// The ggml tensor types this engine dequantises, with their block layouts (ggml-common.h):
/// Q4_0 `{f16 d; u8 qs[16]}` x = (nibble - 8) d; Q4_1 `{f16 d; f16 m; u8 qs[16]}` x = nibble d + m;
/// Q8_0 `{f16 d; i8 qs[32]}` x = q d. In a 4-bit block, byte j holds element j in its low nibble
/// and element j + 16 in its high nibble.
enum GGMLType: UInt32, Sendable {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q8_0 = 8
    case bf16 = 30

    /// Elements per block.
    var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q8_0: return 32
        }
    }

    /// Bytes per block.
    var typeSize: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18
        case .q4_1: return 20
        case .q8_0: return 34
        }
    }

    /// Names of all ggml types, for error messages about the ones not supported.
    static func name(of raw: UInt32) -> String {
        let names: [UInt32: String] = [
            0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
            10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS",
            17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS",
            24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16",
            34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4"
        ]
        return names[raw] ?? "type \(raw)"
    }

    /// Dequantises one row of `count` elements (a multiple of `blockSize`) from `src` into `dst`.
    /// `src` must hold `count / blockSize * typeSize` bytes (checked by the caller).
    func dequantizeRow(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .f32:
            UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count * 4)
        case .f16:
            FloatConversion.halfTable.withUnsafeBufferPointer { t in
                for i in 0..<count { dst[i] = t[Int(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))] }
            }
        case .bf16:
            for i in 0..<count {
                dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            }
        case .q4_0:
            FloatConversion.halfTable.withUnsafeBufferPointer { t in
                for b in 0..<(count / 32) {
                    let block = src + b * 18
                    let d = t[Int(block.loadUnaligned(as: UInt16.self))]
                    let out = dst + b * 32
                    for j in 0..<16 {
                        let q = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                        out[j] = Float(Int32(q & 0x0F) - 8) * d
                        out[j + 16] = Float(Int32(q >> 4) - 8) * d
                    }
                }
            }
        case .q4_1:
            FloatConversion.halfTable.withUnsafeBufferPointer { t in
                for b in 0..<(count / 32) {
                    let block = src + b * 20
                    let d = t[Int(block.loadUnaligned(as: UInt16.self))]
                    let m = t[Int(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))]
                    let out = dst + b * 32
                    for j in 0..<16 {
                        let q = block.load(fromByteOffset: 4 + j, as: UInt8.self)
                        out[j] = Float(q & 0x0F) * d + m
                        out[j + 16] = Float(q >> 4) * d + m
                    }
                }
            }
        case .q8_0:
            FloatConversion.halfTable.withUnsafeBufferPointer { t in
                for b in 0..<(count / 32) {
                    let block = src + b * 34
                    let d = t[Int(block.loadUnaligned(as: UInt16.self))]
                    let out = dst + b * 32
                    for j in 0..<32 {
                        out[j] = Float(block.load(fromByteOffset: 2 + j, as: Int8.self)) * d
                    }
                }
            }
        }
    }
}

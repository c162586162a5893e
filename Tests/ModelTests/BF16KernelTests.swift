import CKernels
import Foundation
import Testing
@testable import Model

/// The bfloat16 kernels of CKernels.h: `ck_bf16_rows`, both pack functions and `ck_amx_gemm`
/// against layouts built here from the header's description and a Double reference computed from
/// the bfloat16-rounded inputs. The portable C versions (`ck_bf16_rows_reference`,
/// `ck_amx_gemm_reference`) and every path of `ck_bf16_gemm` this CPU runs (AMX, AVX512-BF16,
/// portable; each selected explicitly) are held to the same references.
@Suite struct BF16KernelTests {
    /// float32 -> bfloat16 bits, round to nearest even (inputs here are finite).
    static func bits(_ f: Float) -> UInt16 {
        let u = f.bitPattern
        return UInt16(truncatingIfNeeded: (u &+ 0x7fff &+ ((u >> 16) & 1)) >> 16)
    }

    static func value(_ b: UInt16) -> Double { Double(Float(bitPattern: UInt32(b) << 16)) }

    static func ceil(_ x: Int, _ m: Int) -> Int { (x + m - 1) / m * m }

    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = InferenceRNG(seed: seed)
        return (0..<n).map { _ in Float.random(in: -2...2, using: &rng) }
    }

    /// `x[rows, k]` (stride `ldx`) in the activations' layout: `[ceil16(rows), ceil32(k)]`, zero padded.
    static func rowsLayout(_ x: [Float], rows: Int, k: Int, ldx: Int) -> [UInt16] {
        let k32 = ceil(k, 32)
        var out = [UInt16](repeating: 0, count: ceil(rows, 16) * k32)
        for r in 0..<rows { for kk in 0..<k { out[r * k32 + kk] = bits(x[r * ldx + kk]) } }
        return out
    }

    /// `b[k, n]` (given as a function) in the packed layout: tiles of 16 x 32 per 16-column strip
    /// and 32-deep slice, tile row `p` column `2 j + e` = `b[32 t + 2 p + e, 16 s + j]`.
    static func packedLayout(k: Int, n: Int, _ b: (Int, Int) -> Float) -> [UInt16] {
        let k32 = ceil(k, 32), tilesPerStrip = k32 / 32
        var out = [UInt16](repeating: 0, count: k32 * ceil(n, 16))
        for s in 0..<(ceil(n, 16) / 16) {
            for t in 0..<tilesPerStrip {
                let base = (s * tilesPerStrip + t) * 512
                for p in 0..<16 {
                    for j in 0..<16 {
                        for e in 0..<2 {
                            let kk = 32 * t + 2 * p + e, nn = 16 * s + j
                            if kk < k && nn < n { out[base + p * 32 + 2 * j + e] = bits(b(kk, nn)) }
                        }
                    }
                }
            }
        }
        return out
    }

    @Test func rowConversionAndPackingMatchTheDocumentedLayouts() {
        for (rows, k, n) in [(1, 64, 16), (7, 100, 40), (33, 576, 40), (16, 33, 17)] {
            let ldx = k + 3, ldw = k + 5, ldn = n + 2
            let x = Self.random(rows * ldx, seed: UInt64(rows * 1000 + k))
            let w = Self.random(n * ldw, seed: UInt64(n * 1000 + k))  // [n, k] with stride ldw
            let wk = Self.random(k * ldn, seed: UInt64(n * 7 + k))  // [k, n] with stride ldn
            #expect(ck_bf16_rows_count(Int32(rows), Int32(k)) == Self.ceil(rows, 16) * Self.ceil(k, 32))
            #expect(ck_bf16_packed_count(Int32(k), Int32(n)) == Self.ceil(k, 32) * Self.ceil(n, 16))
            var a = [UInt16](repeating: 0xffff, count: Self.ceil(rows, 16) * Self.ceil(k, 32)), aRef = a
            x.withUnsafeBufferPointer { px in
                a.withUnsafeMutableBufferPointer {
                    ck_bf16_rows(px.baseAddress!, Int32(rows), Int32(k), Int32(ldx), $0.baseAddress!)
                }
            }
            x.withUnsafeBufferPointer { px in
                aRef.withUnsafeMutableBufferPointer {
                    ck_bf16_rows_reference(px.baseAddress!, Int32(rows), Int32(k), Int32(ldx), $0.baseAddress!)
                }
            }
            #expect(a == Self.rowsLayout(x, rows: rows, k: k, ldx: ldx), "ck_bf16_rows rows \(rows) k \(k)")
            #expect(
                aRef == Self.rowsLayout(x, rows: rows, k: k, ldx: ldx), "ck_bf16_rows_reference rows \(rows) k \(k)")
            var bt = [UInt16](repeating: 0xffff, count: Self.ceil(k, 32) * Self.ceil(n, 16)), b = bt
            w.withUnsafeBufferPointer { pw in
                bt.withUnsafeMutableBufferPointer {
                    ck_bf16_pack_transposed(pw.baseAddress!, Int32(n), Int32(k), Int32(ldw), $0.baseAddress!)
                }
            }
            wk.withUnsafeBufferPointer { pw in
                b.withUnsafeMutableBufferPointer {
                    ck_bf16_pack(pw.baseAddress!, Int32(k), Int32(n), Int32(ldn), $0.baseAddress!)
                }
            }
            #expect(
                bt == Self.packedLayout(k: k, n: n) { kk, nn in w[nn * ldw + kk] },
                "ck_bf16_pack_transposed k \(k) n \(n)")
            #expect(b == Self.packedLayout(k: k, n: n) { kk, nn in wk[kk * ldn + nn] }, "ck_bf16_pack k \(k) n \(n)")
        }
        // Round to nearest even at the halfway point, and the carry into the exponent.
        #expect(Self.bits(Float(bitPattern: 0x3f80_8000)) == 0x3f80)
        #expect(Self.bits(Float(bitPattern: 0x3f81_8000)) == 0x3f82)
        #expect(Self.bits(Float(bitPattern: 0x3fff_ffff)) == 0x4000)
    }

    /// Every shape of the brief, both pack functions, accumulate off and on, the full column range
    /// and two ranges that meet at a 16-aligned column; untouched columns and row padding checked.
    typealias Gemm = (
        UnsafePointer<UInt16>?, Int32, Int32, UnsafePointer<UInt16>?, Int32, Int32, Int32,
        UnsafeMutablePointer<Float>?, Int32, Int32
    ) -> Void

    /// `ck_amx_gemm` (AMX where it runs, else portable) and `ck_bf16_gemm` on each path this CPU runs.
    static var gemms: [(String, Gemm)] {
        [("ck_amx_gemm", ck_amx_gemm)]
            + BF16Kernel.available.map { kernel in
                (kernel.name, { ck_bf16_gemm(kernel.rawValue, $0, $1, $2, $3, $4, $5, $6, $7, $8, $9) })
            }
    }

    @Test func amxProductMatchesDoubleReferenceOnOddShapes() {
        var worst = 0.0, checked = 0
        // Rows: not multiples of the AMX tile (16) nor of the AVX512-BF16 block (6); columns: partial strips and blocks of 64.
        for rows in [1, 7, 16, 33, 100] {
            for k in [64, 576, 100] {
                for n in [16, 40, 100, 576] {
                    let ldy = n + 3
                    let x = Self.random(rows * k, seed: UInt64(rows * 7919 + k * 31 + n))
                    let w = Self.random(n * k, seed: UInt64(n * 104_729 + k))  // [n, k]
                    var a = [UInt16](repeating: 0, count: Self.ceil(rows, 16) * Self.ceil(k, 32))
                    x.withUnsafeBufferPointer { px in
                        a.withUnsafeMutableBufferPointer {
                            ck_bf16_rows(px.baseAddress!, Int32(rows), Int32(k), Int32(k), $0.baseAddress!)
                        }
                    }
                    var bt = [UInt16](repeating: 0, count: Self.ceil(k, 32) * Self.ceil(n, 16))
                    w.withUnsafeBufferPointer { pw in
                        bt.withUnsafeMutableBufferPointer {
                            ck_bf16_pack_transposed(pw.baseAddress!, Int32(n), Int32(k), Int32(k), $0.baseAddress!)
                        }
                    }
                    // The same b = W^T from ck_bf16_pack on an explicit [k, n] copy.
                    var wT = [Float](repeating: 0, count: k * n)
                    for i in 0..<n { for j in 0..<k { wT[j * n + i] = w[i * k + j] } }
                    var bp = bt
                    wT.withUnsafeBufferPointer { pw in
                        bp.withUnsafeMutableBufferPointer {
                            ck_bf16_pack(pw.baseAddress!, Int32(k), Int32(n), Int32(n), $0.baseAddress!)
                        }
                    }
                    // Reference sums and the sums of |terms| of the bf16-rounded inputs.
                    var ref = [Double](repeating: 0, count: rows * n), mag = ref
                    for r in 0..<rows {
                        for c in 0..<n {
                            var s = 0.0, m = 0.0
                            for kk in 0..<k {
                                let t = Self.value(Self.bits(x[r * k + kk])) * Self.value(Self.bits(w[c * k + kk]))
                                s += t; m += abs(t)
                            }
                            ref[r * n + c] = s; mag[r * n + c] = m
                        }
                    }
                    let y0 = Self.random(rows * ldy, seed: UInt64(rows + k + n))
                    let split = n >= 32 ? (n / 16 / 2) * 16 : 16
                    let variants: [([UInt16], String, Gemm)] =
                        Self.gemms.flatMap { name, gemm in
                            [(bt, "\(name) pack_transposed", gemm), (bp, "\(name) pack", gemm)]
                        } + [(bt, "portable reference", ck_amx_gemm_reference)]
                    for (packed, packName, gemm) in variants {
                        for accumulate in [false, true] {
                            var y = y0
                            a.withUnsafeBufferPointer { pa in
                                packed.withUnsafeBufferPointer { pb in
                                    y.withUnsafeMutableBufferPointer { py in
                                        if accumulate {  // two calls on the two column ranges
                                            gemm(
                                                pa.baseAddress!, Int32(rows), Int32(k), pb.baseAddress!, Int32(n), 0,
                                                Int32(split), py.baseAddress!, Int32(ldy), 1)
                                            gemm(
                                                pa.baseAddress!, Int32(rows), Int32(k), pb.baseAddress!, Int32(n),
                                                Int32(split), Int32(n), py.baseAddress!, Int32(ldy), 1)
                                        } else {
                                            gemm(
                                                pa.baseAddress!, Int32(rows), Int32(k), pb.baseAddress!, Int32(n), 0,
                                                Int32(n), py.baseAddress!, Int32(ldy), 0)
                                        }
                                    }
                                }
                            }
                            var bad = 0
                            for r in 0..<rows {
                                for c in 0..<ldy {
                                    let got = Double(y[r * ldy + c]), before = Double(y0[r * ldy + c])
                                    if c >= n {
                                        if got != before { bad += 1 }  // beyond n: untouched
                                        continue
                                    }
                                    let expected = (accumulate ? before : 0) + ref[r * n + c]
                                    let err =
                                        abs(got - expected) / (mag[r * n + c] + (accumulate ? abs(before) : 0) + 1e-30)
                                    worst = max(worst, err)
                                    if err > 1e-5 { bad += 1 }
                                    checked += 1
                                }
                            }
                            #expect(
                                bad == 0,
                                "rows \(rows) k \(k) n \(n) \(packName) accumulate \(accumulate): \(bad) wrong values")
                        }
                    }
                    // Rows 16 ..< rows alone (`a + 16 * ceil32(k)`, `y + 16 * ldy`): the row split of the
                    // inference engine. Rows above stay untouched.
                    for (name, gemm) in Self.gemms where rows > 16 {
                        let k32 = Self.ceil(k, 32)
                        var y = y0
                        a.withUnsafeBufferPointer { pa in
                            bt.withUnsafeBufferPointer { pb in
                                y.withUnsafeMutableBufferPointer { py in
                                    gemm(
                                        pa.baseAddress! + 16 * k32, Int32(rows - 16), Int32(k), pb.baseAddress!,
                                        Int32(n), 0, Int32(n),
                                        py.baseAddress! + 16 * ldy, Int32(ldy), 0)
                                }
                            }
                        }
                        var bad = 0
                        for r in 0..<rows {
                            for c in 0..<ldy {
                                let got = Double(y[r * ldy + c])
                                if r < 16 || c >= n {
                                    if got != Double(y0[r * ldy + c]) { bad += 1 }
                                } else if abs(got - ref[r * n + c]) > 1e-5 * (mag[r * n + c] + 1e-30) {
                                    bad += 1
                                }
                            }
                        }
                        #expect(bad == 0, "\(name) rows 16..<\(rows) k \(k) n \(n): \(bad) wrong values")
                    }
                    // A middle range n0 ..< n1 writes only those columns.
                    for (name, gemm) in Self.gemms where n >= 40 {
                        let n0 = 16, n1 = n - 5
                        var y = y0
                        a.withUnsafeBufferPointer { pa in
                            bt.withUnsafeBufferPointer { pb in
                                y.withUnsafeMutableBufferPointer { py in
                                    gemm(
                                        pa.baseAddress!, Int32(rows), Int32(k), pb.baseAddress!, Int32(n), Int32(n0),
                                        Int32(n1), py.baseAddress!, Int32(ldy), 0)
                                }
                            }
                        }
                        var bad = 0
                        for r in 0..<rows {
                            for c in 0..<ldy {
                                let got = Double(y[r * ldy + c])
                                if c < n0 || c >= n1 {
                                    if got != Double(y0[r * ldy + c]) { bad += 1 }
                                } else if abs(got - ref[r * n + c]) > 1e-5 * (mag[r * n + c] + 1e-30) {
                                    bad += 1
                                }
                            }
                        }
                        #expect(
                            bad == 0, "\(name) rows \(rows) k \(k) n \(n) columns \(n0)..<\(n1): \(bad) wrong values")
                    }
                }
            }
        }
        print(
            "ck_amx_gemm and ck_bf16_gemm on \(BF16Kernel.available.map(\.name)) (AMX: \(Precision.hasAMX)) vs Double reference of the bf16-rounded inputs: \(checked) values, "
                + "max |error| / sum |terms| \(worst)")
    }

    /// `[n, k]` weights of the form a quantised GGUF gives when dequantised: per 32 inputs of an
    /// output, `Float(q) * d + m` (Q4_1), `Float(q - 8) * d` (Q4_0) or `Float(q) * d` (Q8_0), with
    /// d and m float16 values as the file stores them.
    static func quantisedLike(_ kind: String, n: Int, k: Int, seed: UInt64) -> [Float] {
        var rng = InferenceRNG(seed: seed)
        var w = [Float](repeating: 0, count: n * k)
        for r in 0..<n {
            for b in 0..<(k / 32) {
                let d = Float(Float16(Float.random(in: 0.001...0.05, using: &rng)))
                let m = Float(Float16(Float.random(in: -0.4...0.1, using: &rng)))
                for i in 0..<32 {
                    let x: Float
                    switch kind {
                    case "q4_1": x = Float(Int.random(in: 0...15, using: &rng)) * d + m
                    case "q4_0": x = Float(Int.random(in: 0...15, using: &rng) - 8) * d
                    default: x = Float(Int.random(in: -127...127, using: &rng)) * d
                    }
                    w[r * k + b * 32 + i] = x
                }
                if kind == "q4_1" { w[r * k + b * 32] = m; w[r * k + b * 32 + 1] = 15 * d + m }  // as the quantiser: q 0 and 15 occur
                if kind == "q4_0" { w[r * k + b * 32 + 2] = -8 * d }  // the largest magnitude maps to -8
                if kind == "q8_0" { w[r * k + b * 32 + 3] = -127 * d }
            }
        }
        return w
    }

    @Test func compactCopiesRebuildTheBF16PackingAndGiveTheSameProducts() {
        let n = 48, k = 320  // three column strips (an odd one at the end); ten 32-deep slices (rebuilt 8, then 2)
        for (kind, bits) in [("q4_1", 4), ("q4_0", 8), ("q8_0", 8)] {
            let w = Self.quantisedLike(kind, n: n, k: k, seed: UInt64(bits * 7 + kind.count))
            var packed = [UInt16](repeating: 0, count: ck_bf16_packed_count(Int32(k), Int32(n)))
            w.withUnsafeBufferPointer {
                ck_bf16_pack_transposed($0.baseAddress!, Int32(n), Int32(k), Int32(k), &packed)
            }
            // The fewest bits that are exact: 4 for Q4_1; Q4_0 (q - 8 with no offset) and Q8_0 need 8.
            let four = CompactWeights.pack(Tensor(shape: [n, k], data: w))
            #expect(four?.1 == bits, "\(kind)")
            guard let (buffer, _) = four else { continue }
            defer { buffer.deallocate() }
            let c = UnsafePointer(buffer.assumingMemoryBound(to: UInt8.self))
            var plainC = [UInt16](repeating: 1, count: packed.count), fast = plainC
            ck_compact_unpack_reference(c, Int32(bits), Int32(k), Int32(n), &plainC)
            ck_compact_unpack(c, Int32(bits), Int32(k), Int32(n), &fast)
            #expect(plainC == packed, "\(kind): the compact copy stands for exactly the bfloat16 packing")
            #expect(fast == packed, "\(kind)")
            for rows in [1, 5, 7, 17, 40, 64] {
                let x = Self.random(rows * k, seed: UInt64(rows))
                var a = [UInt16](repeating: 0, count: ck_bf16_rows_count(Int32(rows), Int32(k)))
                x.withUnsafeBufferPointer { ck_bf16_rows($0.baseAddress!, Int32(rows), Int32(k), Int32(k), &a) }
                for (n0, n1, acc) in [(0, n, Int32(0)), (16, n, 1), (0, 32, 1)] {
                    let start = Self.random(rows * n, seed: 99)
                    var ref = start, got = start
                    ck_amx_gemm(a, Int32(rows), Int32(k), packed, Int32(n), Int32(n0), Int32(n1), &ref, Int32(n), acc)
                    ck_compact_gemm(
                        a, Int32(rows), Int32(k), c, Int32(bits), Int32(n), Int32(n0), Int32(n1), &got, Int32(n), acc)
                    #expect(got == ref, "\(kind) rows \(rows) columns \(n0)..<\(n1) accumulate \(acc)")
                    #expect(got != start)
                    // Each path: the compact copy gives the packed product's bits on that path.
                    for kernel in BF16Kernel.available {
                        var ref = start, got = start
                        ck_bf16_gemm(
                            kernel.rawValue, a, Int32(rows), Int32(k), packed, Int32(n), Int32(n0), Int32(n1), &ref,
                            Int32(n), acc)
                        ck_compact_gemm_path(
                            kernel.rawValue, a, Int32(rows), Int32(k), c, Int32(bits), Int32(n), Int32(n0), Int32(n1),
                            &got, Int32(n), acc)
                        #expect(
                            got == ref, "\(kernel.name) \(kind) rows \(rows) columns \(n0)..<\(n1) accumulate \(acc)")
                        #expect(got != start)
                    }
                }
            }
        }
        // Weights not of that form (float32 values) have no compact copy; neither have ragged shapes.
        #expect(CompactWeights.pack(Tensor(shape: [n, k], data: Self.random(n * k, seed: 5))) == nil)
        #expect(ck_compact_bytes(80, 48, 4) == 0 && ck_compact_bytes(96, 40, 4) == 0)
        // One value off its block's grid makes the copy inexact: refused.
        var w = Self.quantisedLike("q4_1", n: n, k: k, seed: 11)
        w[5 * k + 40] = w[5 * k + 40].nextUp
        #expect(CompactWeights.pack(Tensor(shape: [n, k], data: w)) == nil)
    }
}

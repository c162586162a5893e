import CKernels
import Foundation
import Testing
@testable import Model

/// The bfloat16 kernels of CKernels.h: `ck_bf16_rows`, both pack functions and `ck_amx_gemm`
/// against layouts built here from the header's description and a Double reference computed from
/// the bfloat16-rounded inputs. The portable C versions (`ck_bf16_rows_reference`,
/// `ck_amx_gemm_reference`, what runs without AMX) are held to the same references, so both paths
/// are checked on an AMX machine and the portable one everywhere.
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
                for p in 0..<16 { for j in 0..<16 { for e in 0..<2 {
                    let kk = 32 * t + 2 * p + e, nn = 16 * s + j
                    if kk < k && nn < n { out[base + p * 32 + 2 * j + e] = bits(b(kk, nn)) }
                } } }
            }
        }
        return out
    }

    @Test func rowConversionAndPackingMatchTheDocumentedLayouts() {
        for (rows, k, n) in [(1, 64, 16), (7, 100, 40), (33, 576, 40), (16, 33, 17)] {
            let ldx = k + 3, ldw = k + 5, ldn = n + 2
            let x = Self.random(rows * ldx, seed: UInt64(rows * 1000 + k))
            let w = Self.random(n * ldw, seed: UInt64(n * 1000 + k))  // [n, k] with stride ldw
            let wk = Self.random(k * ldn, seed: UInt64(n * 7 + k))      // [k, n] with stride ldn
            #expect(ck_bf16_rows_count(Int32(rows), Int32(k)) == Self.ceil(rows, 16) * Self.ceil(k, 32))
            #expect(ck_bf16_packed_count(Int32(k), Int32(n)) == Self.ceil(k, 32) * Self.ceil(n, 16))
            var a = [UInt16](repeating: 0xffff, count: Self.ceil(rows, 16) * Self.ceil(k, 32)), aRef = a
            x.withUnsafeBufferPointer { px in a.withUnsafeMutableBufferPointer { ck_bf16_rows(px.baseAddress!, Int32(rows), Int32(k), Int32(ldx), $0.baseAddress!) } }
            x.withUnsafeBufferPointer { px in aRef.withUnsafeMutableBufferPointer { ck_bf16_rows_reference(px.baseAddress!, Int32(rows), Int32(k), Int32(ldx), $0.baseAddress!) } }
            #expect(a == Self.rowsLayout(x, rows: rows, k: k, ldx: ldx), "ck_bf16_rows rows \(rows) k \(k)")
            #expect(aRef == Self.rowsLayout(x, rows: rows, k: k, ldx: ldx), "ck_bf16_rows_reference rows \(rows) k \(k)")
            var bt = [UInt16](repeating: 0xffff, count: Self.ceil(k, 32) * Self.ceil(n, 16)), b = bt
            w.withUnsafeBufferPointer { pw in bt.withUnsafeMutableBufferPointer { ck_bf16_pack_transposed(pw.baseAddress!, Int32(n), Int32(k), Int32(ldw), $0.baseAddress!) } }
            wk.withUnsafeBufferPointer { pw in b.withUnsafeMutableBufferPointer { ck_bf16_pack(pw.baseAddress!, Int32(k), Int32(n), Int32(ldn), $0.baseAddress!) } }
            #expect(bt == Self.packedLayout(k: k, n: n) { kk, nn in w[nn * ldw + kk] }, "ck_bf16_pack_transposed k \(k) n \(n)")
            #expect(b == Self.packedLayout(k: k, n: n) { kk, nn in wk[kk * ldn + nn] }, "ck_bf16_pack k \(k) n \(n)")
        }
        // Round to nearest even at the halfway point, and the carry into the exponent.
        #expect(Self.bits(Float(bitPattern: 0x3f80_8000)) == 0x3f80)
        #expect(Self.bits(Float(bitPattern: 0x3f81_8000)) == 0x3f82)
        #expect(Self.bits(Float(bitPattern: 0x3fff_ffff)) == 0x4000)
    }

    /// Every shape of the brief, both pack functions, accumulate off and on, the full column range
    /// and two ranges that meet at a 16-aligned column; untouched columns and row padding checked.
    @Test func amxProductMatchesDoubleReferenceOnOddShapes() {
        var worst = 0.0, checked = 0
        for rows in [1, 7, 16, 33, 100] {
            for k in [64, 576, 100] {
                for n in [16, 40, 576] {
                    let ldy = n + 3
                    let x = Self.random(rows * k, seed: UInt64(rows * 7919 + k * 31 + n))
                    let w = Self.random(n * k, seed: UInt64(n * 104_729 + k))  // [n, k]
                    var a = [UInt16](repeating: 0, count: Self.ceil(rows, 16) * Self.ceil(k, 32))
                    x.withUnsafeBufferPointer { px in a.withUnsafeMutableBufferPointer { ck_bf16_rows(px.baseAddress!, Int32(rows), Int32(k), Int32(k), $0.baseAddress!) } }
                    var bt = [UInt16](repeating: 0, count: Self.ceil(k, 32) * Self.ceil(n, 16))
                    w.withUnsafeBufferPointer { pw in bt.withUnsafeMutableBufferPointer { ck_bf16_pack_transposed(pw.baseAddress!, Int32(n), Int32(k), Int32(k), $0.baseAddress!) } }
                    // The same b = W^T from ck_bf16_pack on an explicit [k, n] copy.
                    var wT = [Float](repeating: 0, count: k * n)
                    for i in 0..<n { for j in 0..<k { wT[j * n + i] = w[i * k + j] } }
                    var bp = bt
                    wT.withUnsafeBufferPointer { pw in bp.withUnsafeMutableBufferPointer { ck_bf16_pack(pw.baseAddress!, Int32(k), Int32(n), Int32(n), $0.baseAddress!) } }
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
                    typealias Gemm = (UnsafePointer<UInt16>?, Int32, Int32, UnsafePointer<UInt16>?, Int32, Int32, Int32,
                                      UnsafeMutablePointer<Float>?, Int32, Int32) -> Void
                    let variants: [([UInt16], String, Gemm)] = [(bt, "pack_transposed", ck_amx_gemm), (bp, "pack", ck_amx_gemm),
                                                                (bt, "portable reference", ck_amx_gemm_reference)]
                    for (packed, packName, gemm) in variants {
                        for accumulate in [false, true] {
                            var y = y0
                            a.withUnsafeBufferPointer { pa in packed.withUnsafeBufferPointer { pb in y.withUnsafeMutableBufferPointer { py in
                                if accumulate {  // two calls on the two column ranges
                                    gemm(pa.baseAddress!, Int32(rows), Int32(k), pb.baseAddress!, Int32(n), 0, Int32(split), py.baseAddress!, Int32(ldy), 1)
                                    gemm(pa.baseAddress!, Int32(rows), Int32(k), pb.baseAddress!, Int32(n), Int32(split), Int32(n), py.baseAddress!, Int32(ldy), 1)
                                } else {
                                    gemm(pa.baseAddress!, Int32(rows), Int32(k), pb.baseAddress!, Int32(n), 0, Int32(n), py.baseAddress!, Int32(ldy), 0)
                                }
                            } } }
                            var bad = 0
                            for r in 0..<rows {
                                for c in 0..<ldy {
                                    let got = Double(y[r * ldy + c]), before = Double(y0[r * ldy + c])
                                    if c >= n {
                                        if got != before { bad += 1 }  // beyond n: untouched
                                        continue
                                    }
                                    let expected = (accumulate ? before : 0) + ref[r * n + c]
                                    let err = abs(got - expected) / (mag[r * n + c] + (accumulate ? abs(before) : 0) + 1e-30)
                                    worst = max(worst, err)
                                    if err > 1e-5 { bad += 1 }
                                    checked += 1
                                }
                            }
                            #expect(bad == 0, "rows \(rows) k \(k) n \(n) \(packName) accumulate \(accumulate): \(bad) wrong values")
                        }
                    }
                    // Rows 16 ..< rows alone (`a + 16 * ceil32(k)`, `y + 16 * ldy`): the row split of the
                    // inference engine. Rows above stay untouched.
                    if rows > 16 {
                        let k32 = Self.ceil(k, 32)
                        var y = y0
                        a.withUnsafeBufferPointer { pa in bt.withUnsafeBufferPointer { pb in y.withUnsafeMutableBufferPointer { py in
                            ck_amx_gemm(pa.baseAddress! + 16 * k32, Int32(rows - 16), Int32(k), pb.baseAddress!, Int32(n), 0, Int32(n),
                                        py.baseAddress! + 16 * ldy, Int32(ldy), 0)
                        } } }
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
                        #expect(bad == 0, "rows 16..<\(rows) k \(k) n \(n): \(bad) wrong values")
                    }
                    // A middle range n0 ..< n1 writes only those columns.
                    if n >= 40 {
                        let n0 = 16, n1 = n - 5
                        var y = y0
                        a.withUnsafeBufferPointer { pa in bt.withUnsafeBufferPointer { pb in y.withUnsafeMutableBufferPointer { py in
                            ck_amx_gemm(pa.baseAddress!, Int32(rows), Int32(k), pb.baseAddress!, Int32(n), Int32(n0), Int32(n1), py.baseAddress!, Int32(ldy), 0)
                        } } }
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
                        #expect(bad == 0, "rows \(rows) k \(k) n \(n) columns \(n0)..<\(n1): \(bad) wrong values")
                    }
                }
            }
        }
        print("ck_amx_gemm (AMX: \(Precision.hasAMX)) vs Double reference of the bf16-rounded inputs: \(checked) values, "
              + "max |error| / sum |terms| \(worst)")
    }
}

import CKernels
import Foundation
import Testing
@testable import Model

/// The SIMD kernels against plain scalar formulas.
@Suite struct InferenceKernelTests {
    func randomArray(_ n: Int, seed: UInt64) -> [Float] {
        var rng = InferenceRNG(seed: seed)
        return (0..<n).map { _ in Float.random(in: -2...2, using: &rng) }
    }

    @Test func dotAndAxpyMatchScalarLoopsForAllTailLengths() {
        for n in [1, 7, 8, 15, 16, 17, 64, 77] {
            let a = randomArray(n, seed: 1), b = randomArray(n, seed: 2)
            var ref: Double = 0
            for i in 0..<n { ref += Double(a[i]) * Double(b[i]) }
            let got = a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in Kernels.dot(pa.baseAddress!, pb.baseAddress!, n) }
            }
            #expect(abs(Double(got) - ref) < 1e-4, "dot n=\(n)")
            var y = b
            a.withUnsafeBufferPointer { pa in
                y.withUnsafeMutableBufferPointer { Kernels.axpy(0.5, pa.baseAddress!, $0.baseAddress!, n) }
            }
            for i in 0..<n { #expect(abs(y[i] - (b[i] + 0.5 * a[i])) < 1e-6) }
        }
    }

    @Test func normsMatchTheirDefinitions() {
        let d = 37, rows = 3
        let x = randomArray(rows * d, seed: 3), w = randomArray(d, seed: 4), b = randomArray(d, seed: 5)
        var rms = [Float](repeating: 0, count: rows * d), ln = rms
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                b.withUnsafeBufferPointer { pb in
                    rms.withUnsafeMutableBufferPointer {
                        RMSNormOp.forward(
                            x: px.baseAddress!, weight: pw.baseAddress!, eps: 1e-5, n: rows, d: d, y: $0.baseAddress!)
                    }
                    ln.withUnsafeMutableBufferPointer {
                        LayerNormOp.forward(
                            x: px.baseAddress!, weight: pw.baseAddress!, bias: pb.baseAddress!, eps: 1e-5, n: rows,
                            d: d,
                            y: $0.baseAddress!)
                    }
                }
            }
        }
        for r in 0..<rows {
            let row = x[(r * d)..<((r + 1) * d)].map(Double.init)
            let ms = row.map { $0 * $0 }.reduce(0, +) / Double(d)
            let mean = row.reduce(0, +) / Double(d)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d)
            for i in 0..<d {
                let expRMS = row[i] / (ms + 1e-5).squareRoot() * Double(w[i])
                let expLN = (row[i] - mean) / (variance + 1e-5).squareRoot() * Double(w[i]) + Double(b[i])
                #expect(abs(Double(rms[r * d + i]) - expRMS) < 1e-4)
                #expect(abs(Double(ln[r * d + i]) - expLN) < 1e-4)
            }
        }
    }

    @Test func activationsSoftmaxAndRotary() {
        let n = 19
        let g = randomArray(n, seed: 6), u = randomArray(n, seed: 7)
        var s = g
        g.withUnsafeBufferPointer { _ in }
        u.withUnsafeBufferPointer { pu in
            s.withUnsafeMutableBufferPointer {
                SwiGLUOp.forward(
                    gate: $0.baseAddress!, up: pu.baseAddress!,
                    act: $0.baseAddress!, count: n)
            }
        }
        var gl = g
        gl.withUnsafeMutableBufferPointer { GELUOp.forward(x: $0.baseAddress!, y: $0.baseAddress!, count: n) }
        var sm = g
        sm.withUnsafeMutableBufferPointer { SoftmaxOp.forward($0.baseAddress!, count: n) }
        let z = g.map { exp(Double($0)) }.reduce(0, +)
        for i in 0..<n {
            let x = Double(g[i])
            #expect(abs(Double(s[i]) - x / (1 + exp(-x)) * Double(u[i])) < 1e-5)
            #expect(
                abs(Double(gl[i]) - 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))))
                    < 1e-5)
            #expect(abs(Double(sm[i]) - exp(x) / z) < 1e-6)
        }
        // Rotary, rotate_half convention: (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin) on pairs (i, i + hd/2).
        let hd = 20, heads = 2
        let row = randomArray(heads * hd, seed: 8)
        let angles = (0..<(hd / 2)).map { Float($0) * 0.3 + 0.1 }
        let c = angles.map { Foundation.cos($0) }, sn = angles.map { Foundation.sin($0) }
        var out = row
        c.withUnsafeBufferPointer { pc in
            sn.withUnsafeBufferPointer { ps in
                out.withUnsafeMutableBufferPointer {
                    RotaryOp.rotate(
                        $0.baseAddress!, heads: heads, headDim: hd, cos: pc.baseAddress!, sin: ps.baseAddress!)
                }
            }
        }
        for h in 0..<heads {
            for i in 0..<(hd / 2) {
                let x1 = row[h * hd + i], x2 = row[h * hd + i + hd / 2]
                #expect(abs(out[h * hd + i] - (x1 * c[i] - x2 * sn[i])) < 1e-6)
                #expect(abs(out[h * hd + i + hd / 2] - (x2 * c[i] + x1 * sn[i])) < 1e-6)
            }
        }
    }

    @Test func gemmAndPerRowAttentionAgree() {
        // One sequence of 12 queries attending a 5-token cached prefix: the sgemm path (n >= 8)
        // against the per-row path applied one query at a time.
        let heads = 4, kvHeads = 2, hd = 8, n = 12, past = 5, keys = past + n
        let q = randomArray(n * heads * hd, seed: 9)
        let k = randomArray(keys * kvHeads * hd, seed: 10), v = randomArray(keys * kvHeads * hd, seed: 11)
        var gemmOut = [Float](repeating: 0, count: n * heads * hd), rowOut = gemmOut
        var scores = [Float](repeating: 0, count: n * keys)
        q.withUnsafeBufferPointer { pq in
            k.withUnsafeBufferPointer { pk in
                v.withUnsafeBufferPointer { pv in
                    scores.withUnsafeMutableBufferPointer { ps in
                        gemmOut.withUnsafeMutableBufferPointer {
                            Decoder.attend(
                                q: pq.baseAddress!, qStride: heads * hd, k: pk.baseAddress!, v: pv.baseAddress!,
                                kvStride: kvHeads * hd, n: n, past: past, heads: heads, kvHeads: kvHeads, headDim: hd,
                                out: $0.baseAddress!, outStride: heads * hd, scores: ps.baseAddress!)
                        }
                        rowOut.withUnsafeMutableBufferPointer { po in
                            for i in 0..<n {
                                Decoder.attend(
                                    q: pq.baseAddress! + i * heads * hd, qStride: heads * hd, k: pk.baseAddress!,
                                    v: pv.baseAddress!, kvStride: kvHeads * hd, n: 1, past: past + i, heads: heads,
                                    kvHeads: kvHeads, headDim: hd, out: po.baseAddress! + i * heads * hd,
                                    outStride: heads * hd, scores: ps.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        #expect(InferenceFixtures.maxAbsDiff(gemmOut, rowOut) < 1e-5)
        // And a direct check of one head/row: row 0, head 3 (kv head 1) sees keys 0...past.
        var s = (0...past).map { t in
            (0..<hd).map { q[3 * hd + $0] * k[t * kvHeads * hd + hd + $0] }.reduce(0, +) / Float(hd).squareRoot()
        }
        let m = s.max()!
        s = s.map { exp($0 - m) }
        let z = s.reduce(0, +)
        for j in 0..<hd {
            let expected = (0...past).map { t in s[t] / z * v[t * kvHeads * hd + hd + j] }.reduce(0, +)
            #expect(abs(rowOut[3 * hd + j] - expected) < 1e-5)
        }
    }

    @Test(.enabled(if: Kernels.hasAVX2FMA, "needs AVX2 + FMA"))
    func smallRowKernelEqualsSgemm() {
        // The few-row C kernel (decoding) against cblas_sgemm, for odd shapes and split counts.
        for (m, k, n) in [(1, 5, 1), (3, 8, 2), (4, 37, 33), (5, 64, 70), (8, 17, 100), (17, 576, 65), (32, 96, 129)] {
            let x = randomArray(m * k, seed: UInt64(m * 1000 + k)), w = randomArray(n * k, seed: UInt64(n + 7))
            let y0 = randomArray(m * n, seed: 3)
            for accumulate in [false, true] {
                var ref = y0, one = y0, three = y0
                x.withUnsafeBufferPointer { px in
                    w.withUnsafeBufferPointer { pw in
                        ref.withUnsafeMutableBufferPointer {
                            BLAS.linear(
                                px.baseAddress!, rows: m, inFeatures: k, weight: pw.baseAddress!, outFeatures: n,
                                into: $0.baseAddress!, beta: accumulate ? 1 : 0)
                        }
                        one.withUnsafeMutableBufferPointer {
                            LinearKernel.small(
                                px.baseAddress!, rows: m, inFeatures: k, weight: pw.baseAddress!, outFeatures: n,
                                into: $0.baseAddress!, accumulate: accumulate, workers: 1)
                        }
                        three.withUnsafeMutableBufferPointer {
                            LinearKernel.small(
                                px.baseAddress!, rows: m, inFeatures: k, weight: pw.baseAddress!, outFeatures: n,
                                into: $0.baseAddress!, accumulate: accumulate, workers: 3)
                        }
                    }
                }
                #expect(InferenceFixtures.maxAbsDiff(ref, one) < 1e-4 * Float(k).squareRoot(), "m=\(m) k=\(k) n=\(n)")
                #expect(one == three, "split over workers changes nothing, m=\(m) n=\(n)")
                // A row gives the same bits alone as inside the batch (batched == one at a time).
                var last = [Float](repeating: 0, count: n)
                x.withUnsafeBufferPointer { px in
                    w.withUnsafeBufferPointer { pw in
                        last.withUnsafeMutableBufferPointer {
                            LinearKernel.small(
                                px.baseAddress! + (m - 1) * k, rows: 1, inFeatures: k, weight: pw.baseAddress!,
                                outFeatures: n, into: $0.baseAddress!, accumulate: false, workers: 2)
                        }
                    }
                }
                if !accumulate { #expect(Array(one[((m - 1) * n)...]) == last) }
            }
        }
    }

    @Test(.enabled(if: Kernels.hasAVX2FMA, "needs AVX2 + FMA"))
    func fastSwiGLUAndSoftmaxEqualTheReferenceOps() {
        for n in [1, 7, 8, 9, 100, 1003] {
            let g = randomArray(n, seed: UInt64(n)).map { $0 * 15 }, u = randomArray(n, seed: UInt64(n + 1))
            var fast = g, plain = g
            u.withUnsafeBufferPointer { pu in
                fast.withUnsafeMutableBufferPointer {
                    SwiGLUOp.forwardInPlace(gate: $0.baseAddress!, up: pu.baseAddress!, count: n)
                }
                plain.withUnsafeMutableBufferPointer {
                    SwiGLUOp.forward(gate: $0.baseAddress!, up: pu.baseAddress!, act: $0.baseAddress!, count: n)
                }
            }
            for i in 0..<n { #expect(abs(fast[i] - plain[i]) <= 1e-6 * max(1, abs(plain[i])), "silu n=\(n) i=\(i)") }
            var sf = g, sp = g
            sf.withUnsafeMutableBufferPointer { SoftmaxOp.apply($0.baseAddress!, count: n) }
            sp.withUnsafeMutableBufferPointer { SoftmaxOp.forward($0.baseAddress!, count: n) }
            for i in 0..<n { #expect(abs(sf[i] - sp[i]) <= 1e-6 * max(1e-3, sp[i]), "softmax n=\(n) i=\(i)") }
            #expect(abs(sf.reduce(0, +) - 1) < 1e-5)
        }
    }

    @Test(.enabled(if: Kernels.hasAVX2FMA, "needs AVX2 + FMA"))
    func vectorisedRowAttentionEqualsTheSwiftLoop() {
        // 3 query rows after a 21-token prefix, grouped heads (3 query heads per kv head), hd 20 (a tail).
        let heads = 6, kvHeads = 2, hd = 20, n = 3, past = 21, keys = past + n
        let q = randomArray(n * heads * hd, seed: 21)
        let k = randomArray(keys * kvHeads * hd, seed: 22), v = randomArray(keys * kvHeads * hd, seed: 23)
        var fast = [Float](repeating: 0, count: n * heads * hd), plain = fast
        var scores = [Float](repeating: 0, count: 4 * keys)
        q.withUnsafeBufferPointer { pq in
            k.withUnsafeBufferPointer { pk in
                v.withUnsafeBufferPointer { pv in
                    scores.withUnsafeMutableBufferPointer { ps in
                        fast.withUnsafeMutableBufferPointer {
                            Decoder.attend(
                                q: pq.baseAddress!, qStride: heads * hd, k: pk.baseAddress!, v: pv.baseAddress!,
                                kvStride: kvHeads * hd, n: n, past: past, heads: heads, kvHeads: kvHeads, headDim: hd,
                                out: $0.baseAddress!, outStride: heads * hd, scores: ps.baseAddress!)
                        }
                        plain.withUnsafeMutableBufferPointer {
                            Decoder.attendRowsPlain(
                                q: pq.baseAddress!, qStride: heads * hd, k: pk.baseAddress!, v: pv.baseAddress!,
                                kvStride: kvHeads * hd, n: n, past: past, heads: heads, kvHeads: kvHeads,
                                headDim: hd, out: $0.baseAddress!, outStride: heads * hd, scores: ps.baseAddress!)
                        }
                    }
                }
            }
        }
        #expect(InferenceFixtures.maxAbsDiff(fast, plain) < 1e-5)
        #expect(fast.contains { $0 != 0 })
    }

    @Test(.enabled(if: Kernels.hasAVX2FMA && ck_has_avx512f() != 0, "needs AVX-512F"))
    func wideRowAttentionEqualsTheSwiftLoop() {
        // The AVX-512 kernel (head sizes 64 and 128): groups of 3 query heads per kv head (one chunk),
        // 9 per kv head (chunks of 4, 4, 1 at hd 64; 2, 2, 2, 2, 1 at hd 128), and no grouping;
        // 1 and 3 query rows after prefixes of 0, 1 and 37 tokens, row strides wider than the heads.
        for (heads, kvHeads, hd) in [(9, 3, 64), (18, 2, 64), (4, 4, 64), (6, 2, 128), (9, 1, 128)] {
            for (n, past) in [(1, 0), (1, 1), (3, 37)] {
                let keys = past + n, qStride = heads * hd + 16, kvStride = kvHeads * hd + 32
                let q = randomArray(n * qStride, seed: UInt64(heads * 100 + hd + past))
                let k = randomArray(keys * kvStride, seed: 31).map { $0 * 3 },
                    v = randomArray(keys * kvStride, seed: 32)
                var fast = [Float](repeating: 0, count: n * qStride), plain = fast
                var scores = [Float](repeating: 0, count: 4 * keys)
                var handled: Int32 = 0
                q.withUnsafeBufferPointer { pq in
                    k.withUnsafeBufferPointer { pk in
                        v.withUnsafeBufferPointer { pv in
                            scores.withUnsafeMutableBufferPointer { ps in
                                fast.withUnsafeMutableBufferPointer {
                                    handled = ck_attend_rows_avx512(
                                        pq.baseAddress!, Int32(qStride), pk.baseAddress!, pv.baseAddress!,
                                        Int32(kvStride), Int32(n), Int32(past), Int32(heads), Int32(kvHeads),
                                        Int32(hd), 1 / Float(hd).squareRoot(), $0.baseAddress!,
                                        Int32(qStride), ps.baseAddress!)
                                }
                                plain.withUnsafeMutableBufferPointer {
                                    Decoder.attendRowsPlain(
                                        q: pq.baseAddress!, qStride: qStride, k: pk.baseAddress!, v: pv.baseAddress!,
                                        kvStride: kvStride, n: n, past: past, heads: heads, kvHeads: kvHeads,
                                        headDim: hd, out: $0.baseAddress!, outStride: qStride, scores: ps.baseAddress!)
                                }
                            }
                        }
                    }
                }
                #expect(handled == 1)
                #expect(
                    InferenceFixtures.maxAbsDiff(fast, plain) < 2e-5,
                    "heads \(heads)/\(kvHeads) hd \(hd) n \(n) past \(past)")
                #expect(fast.contains { $0 != 0 })
            }
        }
    }
}

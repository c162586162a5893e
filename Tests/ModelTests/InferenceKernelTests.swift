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
            let got = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in Kernels.dot(pa.baseAddress!, pb.baseAddress!, n) } }
            #expect(abs(Double(got) - ref) < 1e-4, "dot n=\(n)")
            var y = b
            a.withUnsafeBufferPointer { pa in y.withUnsafeMutableBufferPointer { Kernels.axpy(0.5, pa.baseAddress!, $0.baseAddress!, n) } }
            for i in 0..<n { #expect(abs(y[i] - (b[i] + 0.5 * a[i])) < 1e-6) }
        }
    }

    @Test func normsMatchTheirDefinitions() {
        let d = 37, rows = 3
        let x = randomArray(rows * d, seed: 3), w = randomArray(d, seed: 4), b = randomArray(d, seed: 5)
        var rms = [Float](repeating: 0, count: rows * d), ln = rms
        x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in b.withUnsafeBufferPointer { pb in
            rms.withUnsafeMutableBufferPointer { Kernels.rmsNorm(px.baseAddress!, rows: rows, d: d, weight: pw.baseAddress!, epsilon: 1e-5, into: $0.baseAddress!) }
            ln.withUnsafeMutableBufferPointer { Kernels.layerNorm(px.baseAddress!, rows: rows, d: d, weight: pw.baseAddress!, bias: pb.baseAddress!, epsilon: 1e-5, into: $0.baseAddress!) }
        } } }
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
        u.withUnsafeBufferPointer { pu in s.withUnsafeMutableBufferPointer { Kernels.siluMul($0.baseAddress!, pu.baseAddress!, n) } }
        var gl = g
        gl.withUnsafeMutableBufferPointer { Kernels.geluTanh($0.baseAddress!, n) }
        var sm = g
        sm.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, n) }
        let z = g.map { exp(Double($0)) }.reduce(0, +)
        for i in 0..<n {
            let x = Double(g[i])
            #expect(abs(Double(s[i]) - x / (1 + exp(-x)) * Double(u[i])) < 1e-5)
            #expect(abs(Double(gl[i]) - 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))) < 1e-5)
            #expect(abs(Double(sm[i]) - exp(x) / z) < 1e-6)
        }
        // Rotary, rotate_half convention: (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin) on pairs (i, i + hd/2).
        let hd = 20, heads = 2
        let row = randomArray(heads * hd, seed: 8)
        let angles = (0..<(hd / 2)).map { Float($0) * 0.3 + 0.1 }
        let c = angles.map { Foundation.cos($0) }, sn = angles.map { Foundation.sin($0) }
        var out = row
        c.withUnsafeBufferPointer { pc in sn.withUnsafeBufferPointer { ps in out.withUnsafeMutableBufferPointer {
            Kernels.rope($0.baseAddress!, heads: heads, headDim: hd, cos: pc.baseAddress!, sin: ps.baseAddress!)
        } } }
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
        q.withUnsafeBufferPointer { pq in k.withUnsafeBufferPointer { pk in v.withUnsafeBufferPointer { pv in
            scores.withUnsafeMutableBufferPointer { ps in
                gemmOut.withUnsafeMutableBufferPointer {
                    Decoder.attend(q: pq.baseAddress!, qStride: heads * hd, k: pk.baseAddress!, v: pv.baseAddress!,
                                   kvStride: kvHeads * hd, n: n, past: past, heads: heads, kvHeads: kvHeads, headDim: hd,
                                   out: $0.baseAddress!, outStride: heads * hd, scores: ps.baseAddress!)
                }
                rowOut.withUnsafeMutableBufferPointer { po in
                    for i in 0..<n {
                        Decoder.attend(q: pq.baseAddress! + i * heads * hd, qStride: heads * hd, k: pk.baseAddress!,
                                       v: pv.baseAddress!, kvStride: kvHeads * hd, n: 1, past: past + i, heads: heads,
                                       kvHeads: kvHeads, headDim: hd, out: po.baseAddress! + i * heads * hd,
                                       outStride: heads * hd, scores: ps.baseAddress!)
                    }
                }
            }
        } } }
        #expect(InferenceFixtures.maxAbsDiff(gemmOut, rowOut) < 1e-5)
        // And a direct check of one head/row: row 0, head 3 (kv head 1) sees keys 0...past.
        var s = (0...past).map { t in (0..<hd).map { q[3 * hd + $0] * k[t * kvHeads * hd + hd + $0] }.reduce(0, +) / Float(hd).squareRoot() }
        let m = s.max()!
        s = s.map { exp($0 - m) }
        let z = s.reduce(0, +)
        for j in 0..<hd {
            let expected = (0...past).map { t in s[t] / z * v[t * kvHeads * hd + hd + j] }.reduce(0, +)
            #expect(abs(rowOut[3 * hd + j] - expected) < 1e-5)
        }
    }
}

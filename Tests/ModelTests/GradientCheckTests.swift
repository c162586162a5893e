import Foundation
import Testing
@testable import Model

/// Finite-difference checks (central differences in Float, sums in Double) of every op's
/// backward, of one whole block and of whole tiny models. Tolerance: relative max error 2e-2
/// (Float central differences with h = 1e-2 have ~1e-3 rounding and truncation error).
@Suite struct GradientCheckTests {
    static let tolerance = 2e-2

    @Test func rmsNormBackward() {
        var rng = TrainingTestRNG(seed: 1)
        let n = 3, d = 8
        let x = rng.floats(n * d), w = rng.floats(d), r = rng.floats(n * d)
        func f(_ x: [Float]) -> Double {
            var x = x, w = w, y = [Float](repeating: 0, count: n * d), rs = [Float](repeating: 0, count: n)
            x.mp { xp in w.mp { wp in y.mp { yp in rs.mp { RMSNormOp.forward(x: xp, weight: wp, eps: 1e-5, n: n, d: d, y: yp, rstd: $0) } } } }
            return weightedSum(y, r)
        }
        var xx = x, ww = w, rr = r, y = [Float](repeating: 0, count: n * d), rs = [Float](repeating: 0, count: n)
        var dx = [Float](repeating: 0.5, count: n * d)  // backward adds: start from non-zero
        xx.mp { xp in ww.mp { wp in y.mp { yp in rs.mp { rsp in
            RMSNormOp.forward(x: xp, weight: wp, eps: 1e-5, n: n, d: d, y: yp, rstd: rsp)
            rr.mp { rp in dx.mp { RMSNormOp.backward(dy: rp, x: xp, weight: wp, rstd: rsp, n: n, d: d, dx: $0) } }
        } } } }
        let err = finiteDifferenceError(at: x, analytic: dx.map { $0 - 0.5 }, f)
        #expect(err < Self.tolerance, "RMSNorm relative error \(err)")
    }

    @Test func layerNormBackward() {
        var rng = TrainingTestRNG(seed: 2)
        let n = 3, d = 8
        let x = rng.floats(n * d), w = rng.floats(d), b = rng.floats(d), r = rng.floats(n * d)
        func run(_ x: [Float], dy: [Float]?) -> ([Float], [Float]) {
            var x = x, w = w, b = b, y = [Float](repeating: 0, count: n * d)
            var mean = [Float](repeating: 0, count: n), rs = mean, dx = [Float](repeating: 0, count: n * d)
            var dyv = dy ?? []
            x.mp { xp in w.mp { wp in b.mp { bp in y.mp { yp in mean.mp { mp in rs.mp { rsp in
                LayerNormOp.forward(x: xp, weight: wp, bias: bp, eps: 1e-5, n: n, d: d, y: yp, mean: mp, rstd: rsp)
                if dy != nil { dyv.mp { dyp in dx.mp { LayerNormOp.backward(dy: dyp, x: xp, weight: wp, mean: mp, rstd: rsp, n: n, d: d, dx: $0) } } }
            } } } } } }
            return (y, dx)
        }
        let dx = run(x, dy: r).1
        let err = finiteDifferenceError(at: x, analytic: dx) { weightedSum(run($0, dy: nil).0, r) }
        #expect(err < Self.tolerance, "LayerNorm relative error \(err)")
    }

    @Test func activationBackwards() {
        var rng = TrainingTestRNG(seed: 3)
        let n = 20
        let g = rng.floats(n, scale: 3), u = rng.floats(n, scale: 2), r = rng.floats(n)
        func swiglu(_ g: [Float], _ u: [Float]) -> [Float] {
            var g = g, u = u, a = [Float](repeating: 0, count: n)
            g.mp { gp in u.mp { up in a.mp { SwiGLUOp.forward(gate: gp, up: up, act: $0, count: n) } } }
            return a
        }
        var gg = g, uu = u, rr = r, dg = [Float](repeating: 0, count: n), du = dg
        gg.mp { gp in uu.mp { up in rr.mp { rp in dg.mp { dgp in du.mp { SwiGLUOp.backward(dAct: rp, gate: gp, up: up, dGate: dgp, dUp: $0, count: n) } } } } }
        let eg = finiteDifferenceError(at: g, analytic: dg, step: 1e-3) { weightedSum(swiglu($0, u), r) }
        let eu = finiteDifferenceError(at: u, analytic: du, step: 1e-3) { weightedSum(swiglu(g, $0), r) }
        #expect(eg < Self.tolerance && eu < Self.tolerance, "SwiGLU errors \(eg) \(eu)")

        func gelu(_ x: [Float]) -> [Float] {
            var x = x, y = [Float](repeating: 0, count: n)
            x.mp { xp in y.mp { GELUOp.forward(x: xp, y: $0, count: n) } }
            return y
        }
        var dx = [Float](repeating: 0, count: n)
        gg.mp { gp in rr.mp { rp in dx.mp { GELUOp.backward(dy: rp, x: gp, dx: $0, count: n) } } }
        let ex = finiteDifferenceError(at: g, analytic: dx, step: 1e-3) { weightedSum(gelu($0), r) }
        #expect(ex < Self.tolerance, "GELU error \(ex)")
        // GELU(tanh) reference values (PyTorch gelu(approximate='tanh')): gelu(1) = 0.8411920, gelu(-2) = -0.0454023
        let ref = gelu([1, -2] + [Float](repeating: 0, count: n - 2))
        #expect(abs(ref[0] - 0.8411920) < 1e-6 && abs(ref[1] + 0.0454023) < 1e-6)
    }

    @Test func embeddingBackwardScattersRows() {
        var rng = TrainingTestRNG(seed: 4)
        let V = 5, d = 3, tokens = [1, 3, 1]
        let table = rng.floats(V * d), r = rng.floats(tokens.count * d)
        func f(_ t: [Float]) -> Double {
            var t = t, y = [Float](repeating: 0, count: tokens.count * d)
            t.mp { tp in y.mp { EmbeddingOp.forward(tokens: tokens, table: tp, d: d, y: $0) } }
            return weightedSum(y, r)
        }
        var rr = r, dt = [Float](repeating: 0, count: V * d)
        rr.mp { rp in dt.mp { EmbeddingOp.backward(tokens: tokens, dy: rp, d: d, dTable: $0) } }
        let err = finiteDifferenceError(at: table, analytic: dt, f)
        #expect(err < Self.tolerance, "embedding error \(err)")
    }

    @Test func rotaryBackwardIsTheInverseRotation() {
        var rng = TrainingTestRNG(seed: 5)
        let T = 6, heads = 2, hd = 8, ld = heads * hd + 3
        let rot = RotaryOp(headDim: hd, positions: T, theta: 10000)
        let x = rng.floats(T * ld), r = rng.floats(T * ld)
        func f(_ x: [Float]) -> Double {
            var y = x
            y.mp { rot.apply($0, ld: ld, n: T, seqLen: T, heads: heads) }
            return weightedSum(y, r)
        }
        var g = r
        g.mp { rot.apply($0, ld: ld, n: T, seqLen: T, heads: heads, inverse: true) }
        let err = finiteDifferenceError(at: x, analytic: g, f)
        #expect(err < Self.tolerance, "rotary error \(err)")
    }

    @Test(arguments: [Float(0), 0.3]) func loraLinearBackward(dropout: Float) {
        var rng = TrainingTestRNG(seed: 6)
        let n = 4, inF = 6, outF = 5, rank = 3, ldx = 7, ldy = 9
        let w = rng.floats(outF * inF), bias = rng.floats(outF)
        let x = rng.floats(n * ldx), ab = rng.floats(rank * inF + outF * rank), r = rng.floats(n * ldy)
        let mask = (0..<(n * ldy)).map { $0 % ldy < outF ? Float(1) : 0 }
        let rm = zip(r, mask).map { $0 * $1 }
        func forward(x: [Float], ab: [Float]) -> [Float] {
            var x = x, ab = ab, w = w, bias = bias, y = [Float](repeating: 0, count: n * ldy)
            var u = [Float](repeating: 0, count: n * rank), scratch = [Float](repeating: 0, count: n * (inF + rank))
            x.mp { xp in ab.mp { abp in w.mp { wp in bias.mp { bp in y.mp { yp in u.mp { up in scratch.mp { sp in
                let op = LoRALinearOp(weight: wp, bias: bp, inFeatures: inF, outFeatures: outF,
                                      lora: LoRAFactors(a: abp, b: abp + rank * inF, gradA: nil, gradB: nil, rank: rank, scale: 1.7, dropout: dropout))
                op.forward(x: xp, ldx: ldx, n: n, y: yp, ldy: ldy, u: up, seed: 42, scratch: sp)
            } } } } } } }
            return y
        }
        var xx = x, abv = ab, ww = w, bb = bias, y = [Float](repeating: 0, count: n * ldy), rr = rm
        var u = [Float](repeating: 0, count: n * rank), scratch = [Float](repeating: 0, count: n * (inF + rank))
        var dx = [Float](repeating: 0, count: n * ldx), dab = [Float](repeating: 0, count: ab.count)
        xx.mp { xp in abv.mp { abp in ww.mp { wp in bb.mp { bp in y.mp { yp in u.mp { up in scratch.mp { sp in rr.mp { rp in dx.mp { dxp in dab.mp { dp in
            let op = LoRALinearOp(weight: wp, bias: bp, inFeatures: inF, outFeatures: outF,
                                  lora: LoRAFactors(a: abp, b: abp + rank * inF, gradA: dp, gradB: dp + rank * inF, rank: rank, scale: 1.7, dropout: dropout))
            op.forward(x: xp, ldx: ldx, n: n, y: yp, ldy: ldy, u: up, seed: 42, scratch: sp)
            op.backward(dy: rp, ldy: ldy, x: xp, ldx: ldx, n: n, u: up, seed: 42, dx: dxp, lddx: ldx, scratch: sp)
        } } } } } } } } } }
        let ex = finiteDifferenceError(at: x, analytic: dx) { weightedSum(forward(x: $0, ab: ab), rm) }
        let eab = finiteDifferenceError(at: ab, analytic: dab) { weightedSum(forward(x: x, ab: $0), rm) }
        #expect(ex < Self.tolerance, "LoRA linear dx error \(ex)")
        #expect(eab < Self.tolerance, "LoRA linear dA/dB error \(eab)")
        // Columns of x beyond `in` (leading-dimension padding) get no gradient.
        #expect((0..<n).allSatisfy { dx[$0 * ldx + inF] == 0 })
    }

    @Test func causalAttentionWithGQABackward() {
        var rng = TrainingTestRNG(seed: 7)
        let batch = 2, T = 5, H = 4, Hkv = 2, hd = 4
        let ld = (H + 2 * Hkv) * hd
        let op = CausalAttentionOp(batch: batch, seqLen: T, heads: H, kvHeads: Hkv, headDim: hd, ld: ld,
                                   qOffset: 0, kOffset: H * hd, vOffset: (H + Hkv) * hd)
        let n = batch * T
        let qkv = rng.floats(n * ld, scale: 1.5), r = rng.floats(n * H * hd)
        func forward(_ qkv: [Float]) -> ([Float], [Float]) {
            var qkv = qkv, out = [Float](repeating: 0, count: n * H * hd), lse = [Float](repeating: 0, count: op.lseCount)
            var scratch = [Float](repeating: 0, count: op.scratchCount)
            qkv.mp { qp in out.mp { op_ in lse.mp { lp in scratch.mp { op.forward(qkv: qp, out: op_, lse: lp, scratch: $0) } } } }
            return (out, lse)
        }
        var (_, lse) = forward(qkv)
        var qq = qkv, rr = r, dqkv = [Float](repeating: 0, count: n * ld), scratch = [Float](repeating: 0, count: 2 * op.scratchCount)
        qq.mp { qp in rr.mp { rp in lse.mp { lp in dqkv.mp { dp in scratch.mp { op.backward(dOut: rp, qkv: qp, lse: lp, dqkv: dp, scratch: $0) } } } } }
        let err = finiteDifferenceError(at: qkv, analytic: dqkv) { weightedSum(forward($0).0, r) }
        #expect(err < Self.tolerance, "attention error \(err)")
        // Causality: the output at position 0 depends only on position 0.
        var changed = qkv
        changed[(T - 1) * ld] += 1  // a later query/key of sequence 0
        changed[(T - 1) * ld + H * hd] += 1
        #expect(Array(forward(changed).0[0..<(H * hd)]) == Array(forward(qkv).0[0..<(H * hd)]))
    }

    @Test func crossEntropyBackward() {
        var rng = TrainingTestRNG(seed: 8)
        let m = 40, d = 6, V = 11  // more rows than one chunk
        let h = rng.floats(m * d, scale: 2), w = rng.floats(V * d)
        let targets = (0..<m).map { $0 % V }
        func loss(_ h: [Float], dh: inout [Float]?) -> Double {
            var h = h, w = w
            return h.mp { hp in w.mp { wp in
                if dh != nil {
                    return dh!.mp { CrossEntropyOp.forwardBackward(h: hp, weight: wp, vocab: V, d: d, targets: targets, gradScale: 0.5, dh: $0) }
                }
                return CrossEntropyOp.forwardBackward(h: hp, weight: wp, vocab: V, d: d, targets: targets, gradScale: 0.5, dh: nil)
            } }
        }
        var dh: [Float]? = [Float](repeating: 0, count: m * d)
        _ = loss(h, dh: &dh)
        var none: [Float]? = nil
        let err = finiteDifferenceError(at: h, analytic: dh!, step: 1e-2) { 0.5 * loss($0, dh: &none) }
        #expect(err < Self.tolerance, "cross-entropy error \(err)")
        // Plain value check: uniform logits give log(V) per row.
        var zeros: [Float] = [Float](repeating: 0, count: m * d)
        var n2: [Float]? = nil
        _ = zeros.mp { _ in 0 }
        #expect(abs(loss(zeros, dh: &n2) / Double(m) - log(Double(V))) < 1e-5)
    }

    /// The whole model (one block, and two blocks of both families): gradient of the mean loss
    /// with respect to every adapter parameter, against finite differences of `LoRATrainer.loss`.
    @Test(arguments: [(Architecture.llama, 1), (.llama, 2), (.gpt2, 1), (.gpt2, 2)])
    func wholeModelAdapterGradient(architecture: Architecture, layers: Int) throws {
        var config = architecture == .llama ? TinyModels.llama : TinyModels.gpt2
        config.layerCount = layers
        let weights = TinyModels.weights(config, seed: 11)
        let lora = LoRAConfig(rank: 2, alpha: 4, dropout: 0, targets: Projection.all(for: architecture))
        let adapter = TinyModels.adapter(config, lora: lora, seed: 12)
        let trainer = LoRATrainer(weights: weights, lora: lora, optimizer: .adam(learningRate: 1e-3))
        let examples = [TrainingExample(tokens: [5, 9, 17, 33, 2, 40, 41], lossMask: [false, false, false, true, true, true, true]),
                        TrainingExample(tokens: [7, 8, 60, 61], lossMask: [false, true, true, true])]
        var rng = TrainingTestRNG(seed: 13)
        let (_, grad) = try trainer.lossAndGradient(examples: examples, adapter: adapter, using: &rng)
        // Check a spread of coordinates of every view (A and B).
        var indices: [Int] = []
        for v in adapter.views {
            for k in stride(from: 0, to: lora.rank * v.inFeatures, by: 7) { indices.append(v.aOffset + k) }
            for k in stride(from: 0, to: v.outFeatures * lora.rank, by: 7) { indices.append(v.bOffset + k) }
        }
        let err = finiteDifferenceError(at: adapter.parameters, analytic: grad, step: 1e-2, indices: indices) { p in
            var a = adapter
            a.parameters = p
            return Double(try! trainer.loss(examples: examples, adapter: a))
        }
        #expect(err < Self.tolerance, "\(architecture) \(layers)-layer adapter gradient error \(err)")
        #expect(grad.contains { $0 != 0 })
    }
}

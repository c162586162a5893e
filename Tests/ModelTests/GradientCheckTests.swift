import Foundation
import Testing
@testable import Model

/// Finite-difference checks in Double of every op's backward, of whole LLaMA and GPT-2 blocks
/// and of two-block models. Each check (1) runs our Float forward and an independent Double
/// forward (`DoubleReference`) on the same inputs and requires them to agree within
/// `forwardTolerance`; (2) runs our Float backward with a random upstream gradient r; (3) takes
/// central differences in Double (step 1e-5) of sum(r * reference(x)) and requires
/// max |numeric - ours| / max |ours| < `gradientTolerance`. A Float backward can do no better
/// than Float rounding (~1e-7 relative per operation; measured errors are 5e-8 to 8e-7), so
/// the tolerances are about a hundred Float ulps; a wrong term in any backward gives errors of order 1.
@Suite struct GradientCheckTests {
    static let forwardTolerance = 1e-5
    static let gradientTolerance = 1e-5
    /// Whole models chain dozens of Float products through strongly scaled random weights.
    static let modelGradientTolerance = 2e-5

    /// Requires the forward to match and the analytic gradient to match Double central differences.
    func expectGradient(
        _ name: String, ours: [Float], reference: [Double], analytic: [Float], at x: [Double],
        tolerance: Double = GradientCheckTests.gradientTolerance, indices: [Int]? = nil,
        _ f: ([Double]) -> Double
    ) {
        let forward = relativeDifference(ours, reference)
        let err = doubleFiniteDifferenceError(at: x, analytic: analytic, indices: indices, f)
        print(
            "gradient check \(name): forward Float vs Double \(String(format: "%.2e", forward)) "
                + "(tolerance \(Self.forwardTolerance)), backward vs Double central differences "
                + "\(String(format: "%.2e", err)) (tolerance \(tolerance))")
        #expect(
            forward < Self.forwardTolerance, "\(name): Float forward differs from the Double reference by \(forward)")
        #expect(err < tolerance, "\(name): backward differs from Double finite differences by \(err)")
        #expect(analytic.contains { $0 != 0 }, "\(name): all-zero gradient")
    }

    @Test func rmsNormBackward() {
        let mem = BufferArena()
        defer { withExtendedLifetime(mem) {} }
        var rng = TrainingTestRNG(seed: 1)
        let n = 3, d = 8, eps: Float = 1e-5
        let x = rng.floats(n * d), w = rng.floats(d), r = rng.floats(n * d)
        let xb = mem.buffer(x), wb = mem.buffer(w), y = mem.buffer(n * d), rstd = mem.buffer(n)
        RMSNormOp.forward(x: xb.p, weight: wb.p, eps: eps, n: n, d: d, y: y.p, rstd: rstd.p)
        let dx = mem.buffer(n * d)
        RMSNormOp.backward(dy: mem.buffer(r).p, x: xb.p, weight: wb.p, rstd: rstd.p, n: n, d: d, dx: dx.p)
        let ref = { (x: [Double]) in DoubleReference.rmsNorm(x, w: w.doubles, eps: Double(eps), n: n, d: d) }
        expectGradient("RMSNorm dx", ours: y.array, reference: ref(x.doubles), analytic: dx.array, at: x.doubles) {
            weightedSum(ref($0), r)
        }
        // Backward adds into dx.
        let once = dx.array
        RMSNormOp.backward(dy: mem.buffer(r).p, x: xb.p, weight: wb.p, rstd: rstd.p, n: n, d: d, dx: dx.p)
        #expect(dx.array == once.map { $0 + $0 })
    }

    @Test func layerNormBackward() {
        let mem = BufferArena()
        defer { withExtendedLifetime(mem) {} }
        var rng = TrainingTestRNG(seed: 2)
        let n = 3, d = 8, eps: Float = 1e-5
        let x = rng.floats(n * d, scale: 3), w = rng.floats(d), b = rng.floats(d), r = rng.floats(n * d)
        let xb = mem.buffer(x), wb = mem.buffer(w), y = mem.buffer(n * d)
        let mean = mem.buffer(n), rstd = mem.buffer(n), dx = mem.buffer(n * d)
        LayerNormOp.forward(
            x: xb.p, weight: wb.p, bias: mem.buffer(b).p, eps: eps, n: n, d: d, y: y.p,
            mean: mean.p, rstd: rstd.p)
        LayerNormOp.backward(
            dy: mem.buffer(r).p, x: xb.p, weight: wb.p, mean: mean.p, rstd: rstd.p, n: n, d: d, dx: dx.p)
        let ref = { (x: [Double]) in
            DoubleReference.layerNorm(x, w: w.doubles, b: b.doubles, eps: Double(eps), n: n, d: d)
        }
        expectGradient("LayerNorm dx", ours: y.array, reference: ref(x.doubles), analytic: dx.array, at: x.doubles) {
            weightedSum(ref($0), r)
        }
    }

    @Test func swigluBackward() {
        let mem = BufferArena()
        defer { withExtendedLifetime(mem) {} }
        var rng = TrainingTestRNG(seed: 3)
        let n = 20
        let g = rng.floats(n, scale: 3), u = rng.floats(n, scale: 2), r = rng.floats(n)
        let gb = mem.buffer(g), ub = mem.buffer(u), act = mem.buffer(n)
        SwiGLUOp.forward(gate: gb.p, up: ub.p, act: act.p, count: n)
        let dg = mem.buffer(n), du = mem.buffer(n)
        SwiGLUOp.backward(dAct: mem.buffer(r).p, gate: gb.p, up: ub.p, dGate: dg.p, dUp: du.p, count: n)
        let reference = DoubleReference.swiglu(gate: g.doubles, up: u.doubles)
        expectGradient("SwiGLU dGate", ours: act.array, reference: reference, analytic: dg.array, at: g.doubles) {
            weightedSum(DoubleReference.swiglu(gate: $0, up: u.doubles), r)
        }
        expectGradient("SwiGLU dUp", ours: act.array, reference: reference, analytic: du.array, at: u.doubles) {
            weightedSum(DoubleReference.swiglu(gate: g.doubles, up: $0), r)
        }
    }

    @Test func geluBackward() {
        let mem = BufferArena()
        defer { withExtendedLifetime(mem) {} }
        var rng = TrainingTestRNG(seed: 4)
        let n = 20
        let x = rng.floats(n, scale: 3), r = rng.floats(n)
        let xb = mem.buffer(x), y = mem.buffer(n), dx = mem.buffer(n)
        GELUOp.forward(x: xb.p, y: y.p, count: n)
        GELUOp.backward(dy: mem.buffer(r).p, x: xb.p, dx: dx.p, count: n)
        expectGradient(
            "GELU dx", ours: y.array, reference: DoubleReference.gelu(x.doubles), analytic: dx.array,
            at: x.doubles
        ) { weightedSum(DoubleReference.gelu($0), r) }
        // PyTorch gelu(approximate='tanh'): gelu(1) = 0.8411920, gelu(-2) = -0.0454023.
        let two = mem.buffer([1, -2]), out = mem.buffer(2)
        GELUOp.forward(x: two.p, y: out.p, count: 2)
        #expect(abs(out.array[0] - 0.8411920) < 1e-6 && abs(out.array[1] + 0.0454023) < 1e-6)
    }

    @Test func embeddingBackward() {
        let mem = BufferArena()
        defer { withExtendedLifetime(mem) {} }
        var rng = TrainingTestRNG(seed: 5)
        let vocab = 5, d = 3, tokens = [1, 3, 1], positions = [0, 1, 2]
        let table = rng.floats(vocab * d), posTable = rng.floats(4 * d), r = rng.floats(tokens.count * d)
        let y = mem.buffer(tokens.count * d), dt = mem.buffer(vocab * d)
        EmbeddingOp.forward(
            tokens: tokens, table: mem.buffer(table).p, d: d, y: y.p, positions: positions,
            positionTable: mem.buffer(posTable).p)
        EmbeddingOp.backward(tokens: tokens, dy: mem.buffer(r).p, d: d, dTable: dt.p)
        let ref = { (t: [Double]) in
            DoubleReference.embedding(
                tokens: tokens, table: t, d: d, positions: positions, positionTable: posTable.doubles)
        }
        expectGradient(
            "embedding dTable", ours: y.array, reference: ref(table.doubles), analytic: dt.array,
            at: table.doubles
        ) { weightedSum(ref($0), r) }
    }

    @Test func rotaryBackward() {
        let mem = BufferArena()
        defer { withExtendedLifetime(mem) {} }
        var rng = TrainingTestRNG(seed: 6)
        let T = 6, heads = 2, hd = 8, ld = heads * hd + 3
        let rot = RotaryOp(headDim: hd, positions: T, theta: 10000)
        let x = rng.floats(T * ld), r = rng.floats(T * ld)
        let y = mem.buffer(x)
        rot.apply(y.p, ld: ld, n: T, seqLen: T, heads: heads)
        let g = mem.buffer(r)
        rot.apply(g.p, ld: ld, n: T, seqLen: T, heads: heads, inverse: true)
        let ref = { (x: [Double]) in
            DoubleReference.rotary(x, ld: ld, n: T, seqLen: T, heads: heads, headDim: hd, theta: 10000)
        }
        expectGradient("rotary dx", ours: y.array, reference: ref(x.doubles), analytic: g.array, at: x.doubles) {
            weightedSum(ref($0), r)
        }
    }

    @Test(arguments: [Float(0), 0.3]) func loraLinearBackward(dropout: Float) {
        let mem = BufferArena()
        defer { withExtendedLifetime(mem) {} }
        var rng = TrainingTestRNG(seed: 7)
        let n = 4, inF = 6, outF = 5, rank = 3, ldx = 7, ldy = 9, scale: Float = 1.7, seed: UInt64 = 42
        let w = rng.floats(outF * inF), bias = rng.floats(outF)
        let x = rng.floats(n * ldx), ab = rng.floats(rank * inF + outF * rank), r = rng.floats(n * ldy)
        let rDense = (0..<(n * outF)).map { r[($0 / outF) * ldy + $0 % outF] }
        // The dropout mask the op draws from `seed`: dropout applied to ones.
        let mask = mem.buffer(n * inF)
        if dropout > 0 {
            DropoutMask.apply(
                seed: seed, probability: dropout, x: mem.buffer([Float](repeating: 1, count: n * inF)).p,
                rows: n, cols: inF, ldx: inF, out: mask.p)
            #expect(mask.array.contains(0) && mask.array.contains { $0 > 1 })
        }
        let xb = mem.buffer(x), abb = mem.buffer(ab), wb = mem.buffer(w), bb = mem.buffer(bias)
        let y = mem.buffer(n * ldy), u = mem.buffer(n * rank), scratch = mem.buffer(n * (inF + rank))
        let dx = mem.buffer(n * ldx), dab = mem.buffer(ab.count)
        let op = LoRALinearOp(
            weight: wb.p, bias: bb.p, inFeatures: inF, outFeatures: outF,
            lora: LoRAFactors(
                a: abb.p, b: abb.p + rank * inF, gradA: dab.p, gradB: dab.p + rank * inF,
                rank: rank, scale: scale, dropout: dropout))
        op.forward(x: xb.p, ldx: ldx, n: n, y: y.p, ldy: ldy, u: u.p, seed: seed, scratch: scratch.p)
        op.backward(
            dy: mem.buffer(r).p, ldy: ldy, x: xb.p, ldx: ldx, n: n, u: u.p, seed: seed, dx: dx.p, lddx: ldx,
            scratch: scratch.p)
        let ours = (0..<(n * outF)).map { y.array[($0 / outF) * ldy + $0 % outF] }
        func ref(_ x: [Double], _ ab: [Double]) -> [Double] {
            DoubleReference.loraLinear(
                x, ldx: ldx, n: n, inF: inF, outF: outF, w: w.doubles, bias: bias.doubles,
                a: ab[0..<(rank * inF)], b: ab[(rank * inF)...], rank: rank, scale: Double(scale),
                mask: dropout > 0 ? mask.array.doubles : nil)
        }
        let name = "LoRA linear (dropout \(dropout))"
        expectGradient(
            "\(name) dx", ours: ours, reference: ref(x.doubles, ab.doubles), analytic: dx.array, at: x.doubles
        ) {
            weightedSum(ref($0, ab.doubles), rDense)
        }
        expectGradient(
            "\(name) dA", ours: ours, reference: ref(x.doubles, ab.doubles), analytic: dab.array,
            at: ab.doubles, indices: Array(0..<(rank * inF))
        ) { weightedSum(ref(x.doubles, $0), rDense) }
        expectGradient(
            "\(name) dB", ours: ours, reference: ref(x.doubles, ab.doubles), analytic: dab.array,
            at: ab.doubles, indices: Array((rank * inF)..<ab.count)
        ) { weightedSum(ref(x.doubles, $0), rDense) }
        // Columns of x beyond `in` (leading-dimension padding) get no gradient.
        #expect((0..<n).allSatisfy { dx.array[$0 * ldx + inF] == 0 })
    }

    /// The dropout mask: the drop rate is p, kept values are scaled by 1/(1-p), the same seed
    /// gives the same mask (so backward sees the forward's) and another seed another mask.
    @Test func dropoutMaskRateAndSeeding() {
        let mem = BufferArena()
        defer { withExtendedLifetime(mem) {} }
        let rows = 37, cols = 131, p: Float = 0.05  // odd sizes: vector body and scalar tail
        let ones = mem.buffer([Float](repeating: 1, count: rows * cols))
        func mask(_ seed: UInt64) -> [Float] {
            let out = mem.buffer(rows * cols)
            DropoutMask.apply(seed: seed, probability: p, x: ones.p, rows: rows, cols: cols, ldx: cols, out: out.p)
            return out.array
        }
        let a = mask(1), b = mask(1), c = mask(2)
        let dropped = Double(a.filter { $0 == 0 }.count) / Double(a.count)
        // Binomial(4847, 0.05): sd 0.0031; 5 sd either side.
        #expect(abs(dropped - 0.05) < 0.016, "drop rate \(dropped)")
        #expect(a.allSatisfy { $0 == 0 || $0 == 1 / (1 - p) })
        #expect(a == b)
        #expect(a != c)
        // In place, with a leading dimension wider than the row.
        let x = mem.buffer((0..<(rows * (cols + 3))).map { Float($0 % 7) + 1 })
        let out = mem.buffer(rows * cols)
        DropoutMask.apply(seed: 1, probability: p, x: x.p, rows: rows, cols: cols, ldx: cols + 3, out: out.p)
        #expect(
            (0..<(rows * cols)).allSatisfy { out.array[$0] == a[$0] * x.array[($0 / cols) * (cols + 3) + $0 % cols] })
        // Added into a wider output (the backward's dx): prefill + mask * x, the padding untouched.
        let acc = mem.buffer((0..<(rows * (cols + 2))).map { Float($0 % 5) })
        DropoutMask.apply(
            seed: 1, probability: p, x: x.p, rows: rows, cols: cols, ldx: cols + 3, out: acc.p,
            ldOut: cols + 2, accumulate: true)
        let accArray = acc.array
        #expect(
            (0..<(rows * (cols + 2))).allSatisfy { i in
                let (r, c) = (i / (cols + 2), i % (cols + 2))
                return accArray[i] == Float(i % 5) + (c < cols ? out.array[r * cols + c] : 0)
            })
    }

    /// The vectorisable exp of the softmax and SwiGLU kernels against Double exp, and the
    /// reductions' vector bodies and scalar tails.
    @Test func vectorMathAgreesWithDouble() {
        var worst = 0.0
        for i in 0...100_000 {
            let x = -87 + 175 * Float(i) / 100_000
            let e = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(VectorMath.exp(x)) - e) / e)
        }
        print("VectorMath.exp max relative error on [-87, 88]: \(worst)")
        #expect(worst < 3e-7)
        #expect(VectorMath.exp(-1000) < 1e-37 && VectorMath.exp(1000).isFinite)
        let mem = BufferArena()
        defer { withExtendedLifetime(mem) {} }
        var rng = TrainingTestRNG(seed: 10)
        for count in [1, 7, 8, 19] {
            let a = rng.floats(count, scale: 3), b = rng.floats(count)
            let pa = mem.buffer(a), pb = mem.buffer(b)
            #expect(VectorMath.maximum(pa.p, count: count) == a.max()!)
            #expect(
                abs(Double(VectorMath.dot(pa.p, pb.p, count: count)) - zip(a, b).reduce(0) { $0 + Double($1.0 * $1.1) })
                    < 1e-5)
            let sum = VectorMath.expInPlace(pa.p, count: count, shift: 1)
            #expect(abs(Double(sum) - a.reduce(0) { $0 + Foundation.exp(Double($1) - 1) }) < 1e-5 * Double(sum))
        }
    }

    /// Two short sequences (one query block), and one sequence longer than a block of
    /// `CausalAttentionOp.blockRows` rows (blocks meet earlier blocks' keys).
    @Test(arguments: [(2, 5, 4, 2), (1, CausalAttentionOp.blockRows + 6, 2, 1)])
    func causalAttentionWithGQABackward(batch: Int, T: Int, H: Int, Hkv: Int) {
        let mem = BufferArena()
        defer { withExtendedLifetime(mem) {} }
        var rng = TrainingTestRNG(seed: 8)
        let hd = 4
        let ld = (H + 2 * Hkv) * hd, n = batch * T
        let op = CausalAttentionOp(
            batch: batch, seqLen: T, heads: H, kvHeads: Hkv, headDim: hd, ld: ld,
            qOffset: 0, kOffset: H * hd, vOffset: (H + Hkv) * hd)
        let qkv = rng.floats(n * ld, scale: 1.5), r = rng.floats(n * H * hd)
        func forward(_ qkv: [Float]) -> (out: [Float], lse: TrainingBuffer) {
            let out = mem.buffer(n * H * hd), lse = mem.buffer(op.lseCount)
            op.forward(qkv: mem.buffer(qkv).p, out: out.p, lse: lse.p, scratch: mem.buffer(op.scratchCount).p)
            return (out.array, lse)
        }
        let (out, lse) = forward(qkv)
        let dqkv = mem.buffer(n * ld)
        op.backward(
            dOut: mem.buffer(r).p, qkv: mem.buffer(qkv).p, lse: lse.p, dqkv: dqkv.p,
            scratch: mem.buffer(2 * op.scratchCount).p)
        let ref = { (x: [Double]) in
            DoubleReference.attention(
                x, batch: batch, seqLen: T, heads: H, kvHeads: Hkv, headDim: hd, ld: ld,
                qOffset: 0, kOffset: H * hd, vOffset: (H + Hkv) * hd)
        }
        expectGradient(
            "causal attention (GQA, batch \(batch), T \(T)) dQKV", ours: out, reference: ref(qkv.doubles),
            analytic: dqkv.array,
            at: qkv.doubles
        ) { weightedSum(ref($0), r) }
        // Causality: the output at position 0 depends only on position 0.
        var changed = qkv
        changed[(T - 1) * ld] += 1
        changed[(T - 1) * ld + H * hd] += 1
        #expect(Array(forward(changed).out[0..<(H * hd)]) == Array(out[0..<(H * hd)]))
    }

    @Test func crossEntropyBackward() {
        let mem = BufferArena()
        defer { withExtendedLifetime(mem) {} }
        var rng = TrainingTestRNG(seed: 9)
        let m = 40, d = 6, V = 11  // more rows than one chunk
        let h = rng.floats(m * d, scale: 2), w = rng.floats(V * d)
        let targets = (0..<m).map { ($0 * 7) % V }
        let hb = mem.buffer(h), wb = mem.buffer(w), dh = mem.buffer(m * d)
        let loss = CrossEntropyOp.forwardBackward(
            h: hb.p, weight: wb.p, vocab: V, d: d, targets: targets,
            gradScale: 0.5, dh: dh.p)
        let ref = { (h: [Double]) in
            DoubleReference.crossEntropySum(h: h, w: w.doubles, vocab: V, d: d, targets: targets)
        }
        expectGradient(
            "LM head + cross-entropy dh", ours: [Float(loss)], reference: [ref(h.doubles)], analytic: dh.array,
            at: h.doubles
        ) { 0.5 * ref($0) }
        // Without a gradient buffer the loss is the same; uniform logits give log(V) per row.
        #expect(
            CrossEntropyOp.forwardBackward(
                h: hb.p, weight: wb.p, vocab: V, d: d, targets: targets, gradScale: 0.5,
                dh: nil) == loss)
        let zero = CrossEntropyOp.forwardBackward(
            h: mem.buffer(m * d).p, weight: wb.p, vocab: V, d: d,
            targets: targets, gradScale: 1, dh: nil)
        #expect(abs(zero / Double(m) - log(Double(V))) < 1e-5)
    }

    /// Whole models (one block: the "whole transformer block" check; and two blocks) of both
    /// families, a padded batch of two examples, with and without LoRA dropout: the gradient of
    /// the mean loss with respect to EVERY adapter parameter (A and B of every projection)
    /// against Double central differences of `DoubleReferenceModel`.
    @Test(arguments: [
        (Architecture.llama, 1, Float(0)), (.llama, 1, 0.2), (.gpt2, 1, 0), (.gpt2, 1, 0.2),
        (.llama, 2, 0.2), (.gpt2, 2, 0.2)
    ])
    func wholeModelAdapterGradient(architecture: Architecture, layers: Int, dropout: Float) throws {
        let mem = BufferArena()
        defer { withExtendedLifetime(mem) {} }
        var config = architecture == .llama ? TinyModels.llama : TinyModels.gpt2
        config.layerCount = layers
        let weights = TinyModels.weights(config, seed: 11)
        let lora = LoRAConfig(rank: 2, alpha: 4, dropout: dropout, targets: Projection.all(for: architecture))
        let adapter = TinyModels.adapter(config, lora: lora, seed: 12)
        let trainer = LoRATrainer(weights: weights, lora: lora, optimizer: .adam(learningRate: 1e-3))
        let examples = [
            TrainingExample(tokens: [5, 9, 17, 33, 2, 40, 41], lossMask: [false, false, false, true, true, true, true]),
            TrainingExample(tokens: [7, 8, 60, 61], lossMask: [false, true, true, true])
        ]
        var rng = TrainingTestRNG(seed: 13)
        // The masks the trainer draws: one seed per layer and target projection, in that order.
        var seedRNG = rng
        var masks: [[[Projection: [Double]]]] = examples.map { _ in [] }
        let T = examples.map(\.tokens.count).max()!, n = examples.count * T
        for _ in 0..<layers {
            var perExample = examples.map { _ in [Projection: [Double]]() }
            for p in lora.targets {
                let seed = seedRNG.next()
                let inF = LoRAAdapter.projectionShapes(config)[p]!.1
                let m = mem.buffer(n * inF)
                DropoutMask.apply(
                    seed: seed, probability: dropout, x: mem.buffer([Float](repeating: 1, count: n * inF)).p,
                    rows: n, cols: inF, ldx: inF, out: m.p)
                for (b, e) in examples.enumerated() {
                    perExample[b][p] = Array(m.array[(b * T * inF)..<((b * T + e.tokens.count) * inF)]).doubles
                }
            }
            for b in examples.indices { masks[b].append(perExample[b]) }
        }
        let (loss, grad) = try trainer.lossAndGradient(
            examples: examples, adapter: adapter, training: true, using: &rng)
        let reference = DoubleReferenceModel(weights: weights, adapter: adapter)
        let p = adapter.parameters.doubles
        expectGradient(
            "\(architecture) \(layers)-block model, dropout \(dropout), adapter gradient",
            ours: [loss], reference: [reference.meanLoss(p, examples: examples, masks: dropout > 0 ? masks : nil)],
            analytic: grad, at: p, tolerance: Self.modelGradientTolerance
        ) {
            reference.meanLoss($0, examples: examples, masks: dropout > 0 ? masks : nil)
        }
        // Evaluation (no dropout) also matches the reference forward.
        let evalLoss = try trainer.loss(examples: examples, adapter: adapter)
        #expect(relativeDifference([evalLoss], [reference.meanLoss(p, examples: examples)]) < Self.forwardTolerance)
        // Every view's A and B gets a gradient.
        for v in adapter.views {
            #expect(grad[v.aOffset..<v.bOffset].contains { $0 != 0 }, "\(v.projection) layer \(v.layer): zero dA")
            #expect(
                grad[v.bOffset..<(v.bOffset + v.outFeatures * lora.rank)].contains { $0 != 0 },
                "\(v.projection) layer \(v.layer): zero dB")
        }
    }
}

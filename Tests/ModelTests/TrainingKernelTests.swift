import CKernels
import Testing
@testable import Model

/// The rank-r LoRA kernels (`ck_lora_*` in Training.c) that the training pass runs, split over
/// the cores by rows and columns: the mask they draw is `DropoutMask`'s stream whatever part of it
/// a work item takes, and one LoRA linear op built on them equals a direct Double computation.
struct TrainingKernelTests {
    @Test func kernelMaskIsTheDropoutStreamForAnyRowsAndColumns() {
        let mem = BufferArena()
        defer { withExtendedLifetime(mem) {} }
        let rows = 19, cols = 203, p: Float = 0.05, seed: UInt64 = 99
        let reference = mem.buffer(rows * cols)
        DropoutMask.apply(
            seed: seed, probability: p, x: mem.buffer([Float](repeating: 1, count: rows * cols)).p,
            rows: rows, cols: cols, ldx: cols, out: reference.p)
        let ref = reference.array
        var drop = ck_dropout(
            seed: seed, threshold: DropoutMask.threshold(p), keep_scale: DropoutMask.keepScale(p),
            cols: Int32(cols))
        for (c0, c1) in [(0, cols), (36, 100), (64, 203), (200, 203)] {
            for r0 in [0, 5] {
                let f = mem.buffer((rows - r0) * (c1 - c0))
                ck_dropout_factors(&drop, r0, Int32(rows - r0), Int32(c0), Int32(c1), f.p, Int32(c1 - c0))
                let got = f.array
                let same = (r0..<rows).allSatisfy { r in
                    (c0..<c1).allSatisfy { c in got[(r - r0) * (c1 - c0) + c - c0] == ref[r * cols + c] }
                }
                #expect(same, "rows \(r0)..<\(rows), columns \(c0)..<\(c1)")
            }
        }
        #expect(ref.contains(0) && ref.contains(DropoutMask.keepScale(p)))
    }

    /// Rank 8 (the AVX-512 fast path) and rank 5 (the general loops), with and without dropout;
    /// 37 rows and 200 / 150 columns, so rows and columns go in several work items. Forward y
    /// and u, backward dx (added to a prefilled buffer, and overwritten with `accumulateDx`
    /// false), dA and dB against Double sums of the same formulas.
    @Test(arguments: [(8, Float(0)), (8, 0.3), (5, 0.3), (5, 0)])
    func loraOpMatchesDoubleSums(rank: Int, dropout: Float) {
        let mem = BufferArena()
        defer { withExtendedLifetime(mem) {} }
        var rng = TrainingTestRNG(seed: 17)
        let n = 37, inF = 200, outF = 150, ldx = 203, ldy = 151, scale: Float = 2, seed: UInt64 = 5
        let w = rng.floats(outF * inF), bias = rng.floats(outF), x = rng.floats(n * ldx), dy = rng.floats(n * ldy)
        let ab = rng.floats(rank * inF + outF * rank)
        var mask = [Float](repeating: 1, count: n * inF)
        if dropout > 0 {
            let m = mem.buffer(n * inF)
            DropoutMask.apply(
                seed: seed, probability: dropout, x: mem.buffer(mask).p, rows: n, cols: inF, ldx: inF,
                out: m.p)
            mask = m.array
        }
        let abb = mem.buffer(ab), grad = mem.buffer(ab.count)
        let op = LoRALinearOp(
            weight: mem.buffer(w).p, bias: mem.buffer(bias).p, inFeatures: inF, outFeatures: outF,
            lora: LoRAFactors(
                a: abb.p, b: abb.p + rank * inF, gradA: grad.p,
                gradB: grad.p + rank * inF, rank: rank, scale: scale, dropout: dropout))
        let xb = mem.buffer(x), y = mem.buffer(n * ldy), u = mem.buffer(n * rank)
        let scratch = mem.buffer(op.scratchCount(rows: n))
        op.forward(x: xb.p, ldx: ldx, n: n, y: y.p, ldy: ldy, u: u.p, seed: seed, scratch: scratch.p)
        let dx = mem.buffer([Float](repeating: 1, count: n * ldx))
        op.backward(
            dy: mem.buffer(dy).p, ldy: ldy, x: xb.p, ldx: ldx, n: n, u: u.p, seed: seed, dx: dx.p, lddx: ldx,
            scratch: scratch.p)
        let dxOver = mem.buffer([Float](repeating: 7, count: n * ldx)), gradAgain = mem.buffer(ab.count)
        let op2 = LoRALinearOp(
            weight: op.weight, bias: op.bias, inFeatures: inF, outFeatures: outF,
            lora: LoRAFactors(
                a: abb.p, b: abb.p + rank * inF, gradA: gradAgain.p,
                gradB: gradAgain.p + rank * inF, rank: rank, scale: scale,
                dropout: dropout))
        op2.backward(
            dy: mem.buffer(dy).p, ldy: ldy, x: xb.p, ldx: ldx, n: n, u: u.p, seed: seed, dx: dxOver.p,
            lddx: ldx, accumulateDx: false, scratch: scratch.p)

        // Double sums.
        let a = { (j: Int, c: Int) in Double(ab[j * inF + c]) },
            b = { (o: Int, j: Int) in Double(ab[rank * inF + o * rank + j]) }
        let xd = { (i: Int, c: Int) in Double(x[i * ldx + c]) * Double(mask[i * inF + c]) }
        var uRef = [Double](repeating: 0, count: n * rank), duRef = uRef
        var yRef = [Double](repeating: 0, count: n * outF), dxRef = [Double](repeating: 0, count: n * inF)
        var gA = [Double](repeating: 0, count: rank * inF), gB = [Double](repeating: 0, count: outF * rank)
        for i in 0..<n {
            for j in 0..<rank { uRef[i * rank + j] = (0..<inF).reduce(0) { $0 + a(j, $1) * xd(i, $1) } }
            for o in 0..<outF {
                var s = Double(bias[o])
                for c in 0..<inF { s += Double(x[i * ldx + c]) * Double(w[o * inF + c]) }
                for j in 0..<rank { s += Double(scale) * b(o, j) * uRef[i * rank + j] }
                yRef[i * outF + o] = s
            }
            for j in 0..<rank {
                duRef[i * rank + j] = Double(scale) * (0..<outF).reduce(0) { $0 + Double(dy[i * ldy + $1]) * b($1, j) }
            }
            for c in 0..<inF {
                var s = 0.0
                for o in 0..<outF { s += Double(dy[i * ldy + o]) * Double(w[o * inF + c]) }
                var t = 0.0
                for j in 0..<rank { t += duRef[i * rank + j] * a(j, c) }
                dxRef[i * inF + c] = s + t * Double(mask[i * inF + c])
            }
        }
        for j in 0..<rank {
            for c in 0..<inF { gA[j * inF + c] = (0..<n).reduce(0) { $0 + duRef[$1 * rank + j] * xd($1, c) } }
        }
        for o in 0..<outF {
            for j in 0..<rank {
                gB[o * rank + j] =
                    Double(scale) * (0..<n).reduce(0) { $0 + Double(dy[$1 * ldy + o]) * uRef[$1 * rank + j] }
            }
        }
        func relErr(_ ours: [Float], _ ref: [Double]) -> Double {
            let scale = max(ref.map(abs).max() ?? 0, 1e-30)
            return zip(ours, ref).map { abs(Double($0) - $1) }.max()! / scale
        }
        let yOurs = (0..<(n * outF)).map { y.array[($0 / outF) * ldy + $0 % outF] }
        let dxOurs = (0..<(n * inF)).map { dx.array[($0 / inF) * ldx + $0 % inF] - 1 }
        let dxOverOurs = (0..<(n * inF)).map { dxOver.array[($0 / inF) * ldx + $0 % inF] }
        let errors = [
            ("u", relErr(u.array, uRef)), ("y", relErr(yOurs, yRef)), ("dx", relErr(dxOurs, dxRef)),
            ("dx overwritten", relErr(dxOverOurs, dxRef)),
            ("dA", relErr(Array(grad.array[0..<(rank * inF)]), gA)),
            ("dB", relErr(Array(grad.array[(rank * inF)...]), gB))
        ]
        for (name, e) in errors { #expect(e < 1e-5, "rank \(rank) dropout \(dropout) \(name): relative error \(e)") }
        #expect(gradAgain.array == grad.array)  // the same seed draws the same mask
        // The padding columns beyond the row width are left alone.
        #expect((0..<n).allSatisfy { i in (inF..<ldx).allSatisfy { dx.array[i * ldx + $0] == 1 } })
    }

    /// A parallel dropout stays seeded: the same seed trains the same rank-8 adapter, another seed another one.
    @Test func sameSeedTrainsTheSameAdapter() throws {
        let config = TinyModels.llama
        let lora = LoRAConfig(rank: 8, alpha: 16, dropout: 0.05, targets: Projection.all(for: .llama))
        let trainer = LoRATrainer(
            weights: TinyModels.weights(config, seed: 31), lora: lora,
            optimizer: .adam(learningRate: 1e-2))
        let tokens = (0..<40).map { ($0 * 7) % 60 + 2 }
        let examples = [TrainingExample(tokens: tokens, lossMask: tokens.indices.map { $0 >= 10 })]
        func trained(_ seed: UInt64) throws -> [Float] {
            var adapter = TinyModels.adapter(config, lora: lora, seed: 32)
            var rng = TrainingTestRNG(seed: seed)
            _ = try trainer.train(examples: examples, epochs: 3, adapter: &adapter, using: &rng)
            return adapter.parameters
        }
        let first = try trained(5)
        #expect(try trained(5) == first)
        #expect(try trained(6) != first)
    }
}

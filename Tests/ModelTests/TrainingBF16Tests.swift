import CKernels
import Foundation
import Testing
@testable import Model

/// Mixed-precision (bfloat16 on each fast path: AMX, AVX512-BF16) training against our float32 path, which the goldens pin to
/// PyTorch: the packed products themselves (both orientations, strides, accumulation, column
/// splits), then one step of the golden tiny LLaMA and GPT-2, where every LoRA view's gradient is
/// compared with float32 separately (a backward product using `W^T` where `W` is needed breaks
/// the views below it). Needs a CPU with AMX-BF16 or AVX512-BF16; elsewhere bfloat16 runs as
/// float32 and these tests are skipped.
@Suite(
    .enabled(if: !BF16Kernel.tested.isEmpty, "this CPU has neither AMX-BF16 nor AVX512-BF16: bfloat16 runs as float32"))
struct TrainingBF16Tests {
    static func bf16(_ x: Float) -> Float {  // round to nearest even, as ck_bf16_* do
        let u = x.bitPattern
        return Float(bitPattern: ((u &+ 0x7fff &+ ((u >> 16) & 1)) >> 16) << 16)
    }

    static func cosine(_ x: ArraySlice<Float>, _ y: ArraySlice<Float>) -> Double {
        var xy = 0.0, xx = 0.0, yy = 0.0
        for (a, b) in zip(x, y) {
            xy += Double(a) * Double(b); xx += Double(a) * Double(a); yy += Double(b) * Double(b)
        }
        return xy / max((xx * yy).squareRoot(), 1e-300)
    }

    /// `y (+)= x W^T` and `dx (+)= dy W` through packed operands equal Double products of the
    /// bfloat16-rounded inputs (only the float32 summation differs), with row strides, odd sizes
    /// (padding of k to 32 and n to 16) and accumulation.
    @Test(arguments: BF16Kernel.available)
    func packedProductsMatchRoundedReference(kernel: BF16Kernel) {
        var rng = TrainingTestRNG(seed: 7)
        let (rows, inF, outF, ldx, ldy) = (37, 50, 45, 53, 55)
        let x = rng.floats(rows * ldx), w = rng.floats(outF * inF), y0 = rng.floats(rows * ldy)
        for transposed in [true, false] {
            // transposed: y[rows, outF] += x[rows, inF] W^T; else y[rows, inF] += x[rows, outF] W.
            let (k, n) = transposed ? (inF, outF) : (outF, inF)
            var packed = [UInt16](repeating: 0, count: Int(ck_bf16_packed_count(Int32(k), Int32(n))))
            var scratch = [UInt16](repeating: 0, count: BF16Operand.scratchCount(rows: rows, k: k))
            var y = y0
            packed.withUnsafeMutableBufferPointer { p in
                if transposed {
                    ck_bf16_pack_transposed(w, Int32(outF), Int32(inF), Int32(inF), p.baseAddress!)
                } else {
                    ck_bf16_pack(w, Int32(outF), Int32(inF), Int32(inF), p.baseAddress!)
                }
                let op = BF16Operand(pointer: UnsafePointer(p.baseAddress!), k: k, n: n).on(kernel)
                scratch.withUnsafeMutableBufferPointer { s in
                    y.withUnsafeMutableBufferPointer { yp in
                        op.multiply(
                            x, rows: rows, ldx: ldx, into: yp.baseAddress!, ldy: ldy, accumulate: true,
                            scratch: s.baseAddress!)
                    }
                }
            }
            var worst: Double = 0
            for r in 0..<rows {
                for j in 0..<ldy {
                    var ref = Double(y0[r * ldy + j])
                    if j < n {
                        for kk in 0..<k {
                            let wv = transposed ? w[j * inF + kk] : w[kk * inF + j]
                            ref += Double(Self.bf16(x[r * ldx + kk])) * Double(Self.bf16(wv))
                        }
                    }
                    worst = max(worst, abs(Double(y[r * ldy + j]) - ref))
                }
            }
            // Sums of ~50 products of magnitude <= 1 in float32: a few ulps of ~10.
            #expect(worst < 1e-4, "\(kernel.name) transposed \(transposed): max error \(worst)")
        }
    }

    /// One step of the golden tiny models (padded batch of two, masked prompts, A and B non-zero),
    /// bfloat16 against float32: loss within 1e-2 relative, every view's A and B gradient with
    /// cosine similarity above 0.99 and norm within 5%.
    @Test(arguments: [Architecture.llama, .gpt2], BF16Kernel.tested)
    func tinyModelStepMatchesFloat32(arch: Architecture, kernel: BF16Kernel) throws {
        let meta = try JSONDecoder().decode(
            TrainingGoldenTests.Meta.self,
            from: Data(contentsOf: TrainingGoldenTests.dir.appendingPathComponent("tiny-\(arch)-step.json")))
        let tensors = try SafetensorsFile.read(
            path: TrainingGoldenTests.dir.appendingPathComponent("tiny-\(arch)-step.safetensors").path)
        let weights = try TrainingGoldenTests.baseWeights(arch)
        let lora = LoRAConfig(rank: meta.rank, alpha: meta.alpha, dropout: 0, targets: Projection.all(for: arch))
        let adapter = try TrainingGoldenTests.adapter(
            from: tensors, prefix: "", like: LoRAAdapter(config: lora, model: weights.config), arch: arch)
        let examples = zip(meta.tokens, meta.masks).map { TrainingExample(tokens: $0, lossMask: $1.map { $0 != 0 }) }
        let fp32 = LoRATrainer(weights: weights, lora: lora, optimizer: .adam(learningRate: meta.lr))
        let bf16 = LoRATrainer(
            weights: weights, lora: lora, optimizer: .adam(learningRate: meta.lr), precision: .bfloat16,
            bf16Kernel: kernel)
        #expect(
            fp32.effectivePrecision == .float32 && bf16.effectivePrecision == .bfloat16
                && bf16.kernelPath == kernel.name)
        var rng = TrainingTestRNG(seed: 1)
        let (loss32, grad32) = try fp32.lossAndGradient(
            examples: examples, adapter: adapter, training: false, using: &rng)
        let (loss16, grad16) = try bf16.lossAndGradient(
            examples: examples, adapter: adapter, training: false, using: &rng)
        let lossErr = abs(loss16 - loss32) / loss32
        #expect(lossErr < 1e-2, "\(arch) bf16 loss \(loss16) vs fp32 \(loss32)")
        var worstCos = 1.0, worstNorm = 0.0
        for v in adapter.views {
            for (name, o, c) in [
                ("A", v.aOffset, lora.rank * v.inFeatures), ("B", v.bOffset, v.outFeatures * lora.rank)
            ] {
                let a = grad16[o..<(o + c)], b = grad32[o..<(o + c)]
                let cos = Self.cosine(a, b)
                let na = a.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
                let nb = b.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
                worstCos = min(worstCos, cos)
                worstNorm = max(worstNorm, abs(na - nb) / nb)
                #expect(
                    cos > 0.99 && abs(na - nb) < 0.05 * nb,
                    "\(arch) layer \(v.layer) \(v.projection) grad \(name): cosine \(cos), norm \(na) vs \(nb)")
            }
        }
        // Logits of the base model too (the evaluation path's LM head).
        let l32 = try fp32.logits(tokens: meta.tokens[0], adapter: adapter)
        let l16 = try bf16.logits(tokens: meta.tokens[0], adapter: adapter)
        let logitErr = TrainingGoldenTests.maxDiff(l16, l32) / TrainingGoldenTests.maxAbs(l32)
        #expect(logitErr < 2e-2, "\(arch) bf16 logits differ by \(logitErr) of the largest")
        print(
            "TrainingBF16 \(arch) (\(kernel.name)): loss bf16 \(loss16) vs fp32 \(loss32) (rel \(lossErr)); worst view gradient cosine \(worstCos), worst norm rel err \(worstNorm); logits rel err \(logitErr)"
        )
    }

    /// Trainers and decoders over one `ModelRuntime` share its packed copy; another runtime (here over
    /// changed weights) has its own.
    @Test func packedWeightsAreSharedPerRuntime() throws {
        let weights = try TrainingGoldenTests.baseWeights(.llama)
        let lora = LoRAConfig(rank: 4, alpha: 8, dropout: 0, targets: Projection.all(for: .llama))
        let runtime = ModelRuntime(weights: weights, precision: .bfloat16)
        let a = LoRATrainer(runtime: runtime, lora: lora, optimizer: .sgd(learningRate: 1))
        let b = LoRATrainer(runtime: runtime, lora: lora, optimizer: .sgd(learningRate: 1))
        #expect(a.packed != nil && a.packed === b.packed)
        var changed = weights
        changed.layers[0].projections[.q]!.weight.data[0] += 1
        let c = LoRATrainer(weights: changed, lora: lora, optimizer: .sgd(learningRate: 1), precision: .bfloat16)
        #expect(c.packed !== a.packed)
        // 2 bytes per weight, twice, padded: at least 4 bytes per matrix weight.
        let matrix =
            weights.layers.flatMap(\.projections.values).map(\.weight.count).reduce(0, +) + weights.outputMatrix.count
        #expect(a.packed!.byteCount >= 4 * matrix)
        // A decoder over the same runtime uses the trainer's forward packs (one W^T copy per runtime),
        // and the trainer's backward packs are separate memory.
        let decoder = Decoder(runtime: runtime)
        let packedQ = a.packed!.layers[0][.q]!
        #expect(decoder.bf16!.projection(layer: 0, .q)!.pointer == packedQ.forward.pointer)
        #expect(decoder.bf16!.output.pointer == a.packed!.output.forward.pointer)
        #expect(packedQ.backward.pointer != packedQ.forward.pointer)
        #expect(
            Decoder(runtime: c.runtime).bf16!.projection(layer: 0, .q)!.pointer
                == c.packed!.layers[0][.q]!.forward.pointer)
        #expect(Decoder(runtime: c.runtime).bf16!.projection(layer: 0, .q)!.pointer != packedQ.forward.pointer)
    }
}

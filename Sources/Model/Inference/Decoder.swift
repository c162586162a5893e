import Foundation

/// Runs a decoder (LLaMA family or GPT-2) on the CPU: forward passes over several sequences at
/// once, last-token features, batched greedy generation with a KV cache, and perplexity.
///
/// Immutable and `Sendable`: every call allocates its own workspace, so many client actors can
/// share one `Decoder` (and one copy of the weights) concurrently. Tokens of all sequences of a
/// call are packed into one `[T_total, d]` matrix so each projection is one `cblas_sgemm`;
/// attention runs per sequence with a causal mask. A LoRA adapter, when given, is applied
/// unmerged: `y += scale * (x A^T) B^T`.
///
/// The weights and their packed copies come from a `ModelRuntime`, shared with every decoder and
/// trainer made over it. With `precision: .bfloat16` on a CPU with AMX-BF16 or AVX512-BF16 the
/// runtime holds a bfloat16 copy of every projection weight and of the output matrix
/// (`BF16Weights`, about half the size of the float32 weights, which stay for LoRA merging, training
/// and the float32 path), and every
/// product with them rounds its input rows to bfloat16 and sums in float32 (`BF16Kernel`).
/// Norms, attention, biases and LoRA adapter products stay float32. Products with few rows
/// (decoding steps) read compact 4- or 8-bit copies of the weights that a quantised GGUF gives
/// (`CompactWeights`: the same bfloat16 values, fewer bytes to read, identical results).
public struct Decoder: Sendable {
    /// The weights, their packed copies and the kernels, shared with the other runners over them.
    public let runtime: ModelRuntime
    /// Compact (4- or 8-bit, exact) copies of the weights that have them, for products with at most
    /// `LinearKernel.bf16RowSplitAbove` rows (decoding steps); present only with `bf16`. Set to nil
    /// (tests), decoding steps use the bfloat16 copy.
    var compact: CompactWeights?

    public var weights: ModelWeights { runtime.weights }
    public var config: ModelConfig { weights.config }
    /// The precision asked for; `effectivePrecision` is what runs.
    public var precision: Precision { runtime.precision }
    /// `.bfloat16` when the packed bfloat16 weights are in use, else `.float32` (float32 asked
    /// for, neither AMX-BF16 nor AVX512-BF16 on this CPU, or weights that cannot run).
    public var effectivePrecision: Precision { runtime.effectivePrecision }
    /// "amx-bf16", "avx512-bf16" or "fp32": the kernels this decoder's products run on.
    public var kernelPath: String { runtime.kernelPath }
    /// Packed bfloat16 weights, present exactly when bfloat16 products run.
    var bf16: BF16Weights? { runtime.bf16 }
    /// The kernels of the bfloat16 products (meaningful only with `bf16`).
    var bf16Kernel: BF16Kernel { runtime.bf16Kernel }
    /// Why the weights cannot run, thrown by every call.
    private var weightProblem: ModelError? { runtime.weightProblem }

    /// A decoder with its own runtime (packing the weights when bfloat16 runs).
    public init(weights: ModelWeights, precision: Precision = .float32) {
        self.init(runtime: ModelRuntime(weights: weights, precision: precision))
    }

    /// A decoder over `runtime`, sharing its weights and packs with every other runner over it.
    public init(runtime: ModelRuntime) {
        self.runtime = runtime
        compact = runtime.compact
    }

    /// `bf16Kernel` forces a bfloat16 path (tests run every path this CPU has); it must be
    /// available here. Nil picks the fastest.
    init(weights: ModelWeights, precision: Precision, bf16Kernel: BF16Kernel?) {
        self.init(runtime: ModelRuntime(weights: weights, precision: precision, bf16Kernel: bf16Kernel))
    }

    /// Tokens `[T]` packed from several sequences: `rows` of sequence s start at `offset` and sit
    /// at positions `past ..< past + count`.
    struct Span {
        var offset: Int
        var count: Int
        var past: Int
    }

    // MARK: - Forward

    /// One forward pass over `batch` (sequences of token ids, any lengths), returning what
    /// `outputs` asks for. Without logits the LM head is skipped.
    public func forward(
        _ batch: [[Int]], adapter: LoRAAdapter? = nil,
        outputs: ForwardOutputs = ForwardOutputs()
    ) throws -> ForwardResult {
        try validate(batch)
        if batch.isEmpty { return ForwardResult(logits: [], hiddenStates: []) }
        let c = config, d = c.hiddenSize, slots = c.hiddenStateSlots
        var spans: [Span] = []
        var tokens: [Int] = []
        for seq in batch {
            spans.append(Span(offset: tokens.count, count: seq.count, past: 0))
            tokens += seq
        }
        func rowsOf(_ p: ForwardOutputs.Positions, _ s: Span) -> Int {
            switch p {
            case .none: return 0;
            case .lastToken: return 1;
            case .allTokens: return s.count
            }
        }
        // Hidden states of every sequence, slot-major within a sequence.
        var hiddenOffsets: [Int] = []
        var hiddenCount = 0
        for s in spans { hiddenOffsets.append(hiddenCount); hiddenCount += slots * rowsOf(outputs.hiddenStates, s) * d }
        var hidden = [Float](repeating: 0, count: hiddenCount)
        var logits: [[Float]] = Array(repeating: [], count: batch.count)
        let ws = Workspace()

        try LoRAContext.with(adapter, config: c) { lora in
            try hidden.withUnsafeMutableBufferPointer { hb in
                // Copies rows of `x` ([T, d] packed, or [R, d] gathered when `gathered`) into slot `slot`.
                func capture(_ slot: Int, _ x: UnsafePointer<Float>, gathered: Bool) {
                    guard outputs.hiddenStates != .none else { return }
                    var g = 0
                    for (si, s) in spans.enumerated() {
                        let n = rowsOf(outputs.hiddenStates, s)
                        for r in 0..<n {
                            let srcRow: Int
                            if gathered { srcRow = g } else { srcRow = s.offset + s.count - n + r }
                            g += 1
                            (hb.baseAddress! + hiddenOffsets[si] + (slot * n + r) * d)
                                .update(from: x + srcRow * d, count: d)
                        }
                    }
                }
                try WeightPointers.with(weights) { wp in
                    try runBlocks(tokens, spans: spans, caches: nil, lora: lora, ws: ws, weights: wp) { slot, x in
                        capture(slot, x, gathered: false)
                    }
                }
                // Final norm on the rows that are needed, gathered in sequence order.
                let allRows = outputs.logits == .allTokens || outputs.hiddenStates == .allTokens
                let needRows = outputs.logits != .none || outputs.hiddenStates != .none
                guard needRows else { return }
                var rowIndex: [Int] = []
                for s in spans {
                    if allRows {
                        rowIndex += Array(s.offset..<(s.offset + s.count))
                    } else {
                        rowIndex.append(s.offset + s.count - 1)
                    }
                }
                let normed = finalNorm(rows: rowIndex, ws: ws)
                if outputs.hiddenStates != .none {
                    if allRows && outputs.hiddenStates == .lastToken {
                        // Rows were gathered for all tokens; the hidden states want the last of each.
                        var g = 0
                        for (si, s) in spans.enumerated() {
                            (hb.baseAddress! + hiddenOffsets[si] + (slots - 1) * d)
                                .update(from: normed + (g + s.count - 1) * d, count: d)
                            g += s.count
                        }
                    } else {
                        capture(slots - 1, normed, gathered: true)
                    }
                }
                if outputs.logits != .none {
                    let v = c.vocabSize
                    var g = 0
                    for (si, s) in spans.enumerated() {
                        let rowsHere = allRows ? s.count : 1
                        let n = rowsOf(outputs.logits, s)
                        var out = [Float](repeating: 0, count: n * v)
                        out.withUnsafeMutableBufferPointer { ob in
                            lmHead(normed + (g + rowsHere - n) * d, rows: n, into: ob.baseAddress!, ws: ws)
                        }
                        logits[si] = out
                        g += rowsHere
                    }
                }
            }
        }
        var hiddenStates: [[Float]] = []
        if outputs.hiddenStates == .none {
            hiddenStates = Array(repeating: [], count: batch.count)
        } else {
            for (si, s) in spans.enumerated() {
                let n = slots * rowsOf(outputs.hiddenStates, s) * d
                hiddenStates.append(Array(hidden[hiddenOffsets[si]..<(hiddenOffsets[si] + n)]))
            }
        }
        return ForwardResult(logits: logits, hiddenStates: hiddenStates)
    }

    /// The FedHDS feature of each sequence: the last token's hidden state of all L+1 slots,
    /// concatenated in slot order ((L+1)*d values). Sequences are run in groups of at most
    /// `maxTokensPerPass` tokens (a single longer sequence runs alone).
    public func lastTokenFeatures(
        _ batch: [[Int]], adapter: LoRAAdapter? = nil,
        maxTokensPerPass: Int = 4096
    ) throws -> [[Float]] {
        try validate(batch)
        var features: [[Float]] = []
        features.reserveCapacity(batch.count)
        var start = 0
        while start < batch.count {
            var end = start, tokens = 0
            while end < batch.count && (end == start || tokens + batch[end].count <= maxTokensPerPass) {
                tokens += batch[end].count
                end += 1
            }
            let r = try forward(Array(batch[start..<end]), adapter: adapter, outputs: .features)
            features += r.hiddenStates
            start = end
        }
        return features
    }

    // MARK: - Checks

    /// Throws when the weights cannot run, a sequence is empty or too long, or a token id is out
    /// of the vocabulary.
    func validate(_ batch: [[Int]]) throws {
        if let weightProblem { throw weightProblem }
        let c = config
        for (i, seq) in batch.enumerated() {
            guard !seq.isEmpty else { throw ModelError.invalidInput("sequence \(i) is empty") }
            guard seq.count <= c.contextLength else {
                throw ModelError.invalidInput(
                    "sequence \(i) has \(seq.count) tokens, more than the context length \(c.contextLength)")
            }
            for t in seq where t < 0 || t >= c.vocabSize {
                throw ModelError.invalidInput(
                    "sequence \(i) holds token id \(t), outside the vocabulary 0..<\(c.vocabSize)")
            }
        }
    }

    static func check(_ w: ModelWeights) -> ModelError? {
        let c = w.config
        func bad(_ tensor: String, _ reason: String) -> ModelError {
            .invalidTensor(path: "model weights", tensor: tensor, reason: reason)
        }
        guard c.hiddenSize > 0, c.headCount > 0, c.kvHeadCount > 0, c.layerCount >= 0, c.vocabSize > 0,
            c.hiddenSize % c.headCount == 0, c.headCount % c.kvHeadCount == 0
        else {
            return .unsupported("shape d=\(c.hiddenSize) heads=\(c.headCount) kv heads=\(c.kvHeadCount)")
        }
        let arch = c.definition
        if arch.positions == .rotary && c.headDim % 2 != 0 {
            return .unsupported("odd head size \(c.headDim) with rotary embeddings")
        }
        let d = c.hiddenSize
        if w.tokenEmbedding.shape != [c.vocabSize, d] {
            return bad("token embedding", "shape \(w.tokenEmbedding.shape), expected [\(c.vocabSize), \(d)]")
        }
        if w.outputMatrix.shape != [c.vocabSize, d] {
            return bad("lm head", "shape \(w.outputMatrix.shape), expected [\(c.vocabSize), \(d)]")
        }
        if arch.positions == .learned {
            guard let p = w.positionEmbedding, p.shape == [c.contextLength, d] else {
                return bad("position embedding", "missing or not [\(c.contextLength), \(d)]")
            }
        }
        guard w.layers.count == c.layerCount else {
            return bad("layers", "\(w.layers.count) blocks, expected \(c.layerCount)")
        }
        let shapes = LoRAAdapter.projectionShapes(c)
        let needsBias = arch.biases
        func normOK(_ n: Norm) -> Bool { n.weight.count == d && (!needsBias || n.bias?.count == d) }
        guard normOK(w.finalNorm) else { return bad("final norm", "wrong size") }
        for (i, layer) in w.layers.enumerated() {
            guard normOK(layer.attentionNorm), normOK(layer.mlpNorm) else {
                return bad("layer \(i) norm", "wrong size")
            }
            for p in Projection.all(for: c.architecture) {
                let (outF, inF) = shapes[p]!
                guard let lin = layer.projections[p] else { return bad("layer \(i) \(p.rawValue)", "missing") }
                guard lin.weight.shape == [outF, inF] else {
                    return bad("layer \(i) \(p.rawValue)", "shape \(lin.weight.shape), expected [\(outF), \(inF)]")
                }
                if needsBias && lin.bias?.count != outF {
                    return bad("layer \(i) \(p.rawValue)", "bias missing or not \(outF) values")
                }
            }
        }
        return nil
    }
}

import CKernels

/// The KV-cache runner's side of `TransformerBlock` (`Decoder.runBlocks`): packed rows of several
/// sequences (`spans`), linears on the inference kernels (compact, bfloat16 or float32, with an
/// unmerged adapter), attention per sequence over its cached prefix.
///
/// Attention: with `caches` (one per span) the keys and values of the new rows are stored at their
/// positions and each sequence reads its whole cached prefix; without, each reads its own rows.
/// With the AVX-512 row kernel (head sizes 64, 128), every sequence's attention, prefill
/// included, runs as row ranges over the cores (`AttentionItem`); otherwise the sequences of a
/// decoding step run in parallel, one item per sequence, and longer ones use sgemm per head.
struct CacheRunner: BlockRunner {
    let decoder: Decoder
    let spans: [Decoder.Span]
    let caches: [KVCache]?
    let lora: LoRAContext?
    let ws: Workspace
    let rotary: RotaryOp?
    private let layers: [LayerWeights]
    private let rowItems: [AttentionItem]?
    /// Attention scratch: `scoreSlots` areas of `scoreStride` floats.
    private let scores: UnsafeMutablePointer<Float>
    private let scoreStride: Int, scoreSlots: Int
    private let parallelAttention: Bool

    init(
        decoder: Decoder, spans: [Decoder.Span], caches: [KVCache]?, lora: LoRAContext?, ws: Workspace,
        rotary: RotaryOp?
    ) {
        self.decoder = decoder
        self.spans = spans
        self.caches = caches
        self.lora = lora
        self.ws = ws
        self.rotary = rotary
        layers = decoder.weights.layers
        let hd = decoder.config.headDim
        let items =
            Decoder.wideRowAttention(headDim: hd)
            ? AttentionItem.split(spans, workers: LinearKernel.workers) : nil
        rowItems = items
        parallelAttention =
            caches != nil && spans.count > 1 && LinearKernel.workers > 1
            && spans.allSatisfy { $0.count < Decoder.gemmAttentionThreshold }
        if let items {
            // Items go to `slots` scratch areas by index (see `attend`).
            scoreStride = 4 * (spans.map { $0.past + $0.count }.max() ?? 0)
            scoreSlots = max(1, min(items.count, LinearKernel.workers * 4))
        } else {
            scoreStride = spans.map { Decoder.scoreScratch(n: $0.count, keys: $0.past + $0.count) }.max() ?? 0
            scoreSlots = parallelAttention ? spans.count : 1
        }
        scores = ws.scores.reserve(scoreStride * scoreSlots)
    }

    func linear(
        layer: Int, _ p: Projection, x: UnsafePointer<Float>, ldx: Int, rows: Int,
        into y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool, sameInputAsPrevious: Bool
    ) {
        let lin = layers[layer].projections[p]!
        precondition(ldx == lin.inFeatures && ldy == lin.outFeatures, "the inference kernels take dense rows")
        decoder.apply(
            lin, p, layer: layer, x, rows: rows, into: y, accumulate: accumulate, lora: lora, ws: ws,
            rowsConverted: sameInputAsPrevious)
    }

    func attend(layer l: Int, q: Rows, k: Rows, v: Rows, into out: UnsafeMutablePointer<Float>) {
        let c = decoder.config, hd = c.headDim, heads = c.headCount, kvHeads = c.kvHeadCount
        let qDim = heads * hd, kvDim = kvHeads * hd
        // Each sequence's keys and values: its cache (after storing the new rows) or its own rows.
        let kv: [(k: UnsafePointer<Float>, v: UnsafePointer<Float>, stride: Int)] = spans.enumerated().map { si, s in
            guard let caches else {
                return (
                    UnsafePointer(k.pointer + s.offset * k.stride), UnsafePointer(v.pointer + s.offset * v.stride),
                    k.stride
                )
            }
            let ck = caches[si].keys(layer: l), cv = caches[si].values(layer: l)
            for i in 0..<s.count {
                (ck + (s.past + i) * kvDim).update(from: k.pointer + (s.offset + i) * k.stride, count: kvDim)
                (cv + (s.past + i) * kvDim).update(from: v.pointer + (s.offset + i) * v.stride, count: kvDim)
            }
            return (UnsafePointer(ck), UnsafePointer(cv), kvDim)
        }
        if let rowItems {
            // Item j uses scratch slot j % slots; the items sharing a slot run on one thread in
            // turn (one Parallel work unit per slot).
            let slots = scoreSlots
            Parallel.forEach(slots) { slot in
                let sc = scores + slot * scoreStride
                var j = slot
                while j < rowItems.count {
                    let item = rowItems[j], s = spans[item.span], (ks, vs, kvs) = kv[item.span]
                    let row = s.offset + item.first
                    ck_attend_rows(
                        q.pointer + row * q.stride, Int32(q.stride), ks, vs, Int32(kvs), Int32(item.count),
                        Int32(s.past + item.first), Int32(heads), Int32(kvHeads), Int32(hd),
                        1 / Float(hd).squareRoot(), out + row * qDim, Int32(qDim), sc)
                    j += slots
                }
            }
            return
        }
        // One sequence's attention with scratch area `slot`.
        func attendSpan(_ si: Int, slot: Int) {
            let s = spans[si], (ks, vs, kvs) = kv[si]
            Decoder.attend(
                q: q.pointer + s.offset * q.stride, qStride: q.stride, k: ks, v: vs, kvStride: kvs,
                n: s.count, past: caches == nil ? 0 : s.past, heads: heads, kvHeads: kvHeads, headDim: hd,
                out: out + s.offset * qDim, outStride: qDim, scores: scores + slot * scoreStride)
        }
        if parallelAttention {
            Parallel.forEach(spans.count) { si in attendSpan(si, slot: si) }
        } else {
            for si in spans.indices { attendSpan(si, slot: 0) }
        }
    }
}

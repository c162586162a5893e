import Dispatch

extension Decoder {
    /// Greedy decoding of every prompt with a KV cache, batched: up to `maxBatch` sequences run
    /// together (their new tokens packed into one matrix per step, each at its own position);
    /// a finished sequence leaves the batch and the next prompt takes its place (its prefill runs
    /// in the same step as the others' next tokens). A sequence stops at a token of
    /// `eosTokenIds` (not included in the result), after `maxNewTokens` tokens, or at the context
    /// length. Returns the generated ids of each prompt, in prompt order.
    public func generate(
        prompts: [[Int]], maxNewTokens: Int, eosTokenIds: Set<Int>,
        adapter: LoRAAdapter? = nil, maxBatch: Int = 32
    ) throws -> [[Int]] {
        var timing = GenerationTiming()
        return try generate(
            prompts: prompts, maxNewTokens: maxNewTokens, eosTokenIds: eosTokenIds, adapter: adapter,
            maxBatch: maxBatch, timing: &timing)
    }

    /// `generate` that also adds to `timing` the time of its prefill steps and of its pure
    /// decoding steps (every active sequence feeding one token).
    public func generate(
        prompts: [[Int]], maxNewTokens: Int, eosTokenIds: Set<Int>,
        adapter: LoRAAdapter? = nil, maxBatch: Int = 32,
        timing: inout GenerationTiming
    ) throws -> [[Int]] {
        try validate(prompts)
        guard maxNewTokens >= 0 else { throw ModelError.invalidInput("maxNewTokens \(maxNewTokens) is negative") }
        guard maxBatch > 0 else { throw ModelError.invalidInput("maxBatch \(maxBatch) must be positive") }
        var results = [[Int]](repeating: [], count: prompts.count)
        if maxNewTokens == 0 { return results }
        let c = config
        let kvDim = c.kvHeadCount * c.headDim

        struct Active {
            var index: Int
            var cache: KVCache
            var pending: [Int]
            var past: Int
        }
        let ws = Workspace()
        try LoRAContext.with(adapter, config: c) { lora in
            try WeightPointers.with(weights) { wp in
                var next = 0
                var active: [Active] = []
                while true {
                    while active.count < maxBatch && next < prompts.count {
                        let p = prompts[next]
                        let capacity = min(p.count + maxNewTokens, c.contextLength)
                        active.append(
                            Active(
                                index: next, cache: KVCache(layers: c.layerCount, capacity: capacity, kvDim: kvDim),
                                pending: p, past: 0))
                        next += 1
                    }
                    if active.isEmpty { break }
                    var tokens: [Int] = []
                    var spans: [Span] = []
                    for a in active {
                        spans.append(Span(offset: tokens.count, count: a.pending.count, past: a.past))
                        tokens += a.pending
                    }
                    let stepStart = DispatchTime.now().uptimeNanoseconds
                    try runBlocks(
                        tokens, spans: spans, caches: active.map(\.cache), lora: lora, ws: ws,
                        weights: wp
                    ) { _, _ in }
                    let normed = finalNorm(rows: spans.map { $0.offset + $0.count - 1 }, ws: ws)
                    let logits = ws.logits.reserve(active.count * c.vocabSize)
                    lmHead(normed, rows: active.count, into: logits, ws: ws)
                    let stepSeconds = Double(DispatchTime.now().uptimeNanoseconds - stepStart) / 1e9
                    if tokens.count == active.count {
                        timing.decodeSteps += 1
                        timing.decodeTokens += active.count
                        timing.decodeSeconds += stepSeconds
                    } else {
                        timing.prefillSteps += 1
                        timing.prefillTokens += tokens.count
                        timing.prefillSeconds += stepSeconds
                    }
                    var still: [Active] = []
                    for (j, var a) in active.enumerated() {
                        a.past += a.pending.count
                        let token = Kernels.argmax(logits + j * c.vocabSize, c.vocabSize)
                        if eosTokenIds.contains(token) { continue }
                        results[a.index].append(token)
                        if results[a.index].count >= maxNewTokens || a.past >= a.cache.capacity { continue }
                        a.pending = [token]
                        still.append(a)
                    }
                    active = still
                }
            }
        }
        return results
    }
}

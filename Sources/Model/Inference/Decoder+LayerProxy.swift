extension Decoder {
    /// The feature of the layer proxy made of this model's first `layers` blocks (the -Turbo
    /// methods' `model.proxy_layers`): the last token's hidden state of slots 0...K (the embedding
    /// output, then the output of blocks 1...K), concatenated in slot order ((K+1)*d values).
    ///
    /// Only K blocks run, over the same shared weights (no copy), with no final norm and no LM
    /// head, so the cost is about K/L of the full feature pass. For K < L the row equals the first
    /// (K+1)*d values of `lastTokenFeatures(_:)` exactly (the full model's slot K is also the raw
    /// output of block K); K = L is the full model's feature, whose last slot is after the final
    /// norm. Sequences are grouped as `lastTokenFeatures(_:)` groups them.
    public func lastTokenFeatures(_ batch: [[Int]], layers k: Int, maxTokensPerPass: Int = 4096) throws -> [[Float]] {
        let c = config
        guard k >= 1 && k <= c.layerCount else {
            throw ModelError.invalidInput(
                "a layer proxy of \(k) layers: the model has \(c.layerCount) (give 1...\(c.layerCount))")
        }
        if k == c.layerCount { return try lastTokenFeatures(batch, maxTokensPerPass: maxTokensPerPass) }
        try validate(batch)
        let d = c.hiddenSize, width = (k + 1) * d
        var features: [[Float]] = []
        features.reserveCapacity(batch.count)
        let ws = Workspace()
        var start = 0
        while start < batch.count {
            var end = start, count = 0
            while end < batch.count && (end == start || count + batch[end].count <= maxTokensPerPass) {
                count += batch[end].count
                end += 1
            }
            var spans: [Span] = []
            var tokens: [Int] = []
            for seq in batch[start..<end] {
                spans.append(Span(offset: tokens.count, count: seq.count, past: 0))
                tokens += seq
            }
            var rows = [Float](repeating: 0, count: spans.count * width)
            try rows.withUnsafeMutableBufferPointer { rb in
                func take(_ slot: Int, _ x: UnsafePointer<Float>) {
                    for (si, s) in spans.enumerated() {
                        (rb.baseAddress! + si * width + slot * d).update(
                            from: x + (s.offset + s.count - 1) * d, count: d)
                    }
                }
                try WeightPointers.with(weights) { wp in
                    try runBlocks(tokens, spans: spans, caches: nil, lora: nil, ws: ws, weights: wp, layers: k) {
                        take($0, $1)
                    }
                }
                take(k, ws.x.pointer)
            }
            for si in spans.indices { features.append(Array(rows[(si * width)..<((si + 1) * width)])) }
            start = end
        }
        return features
    }
}

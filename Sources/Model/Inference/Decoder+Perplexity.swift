import Foundation

extension Decoder {
    /// Mean negative log-likelihood (natural log) of each response given its prompt: the model
    /// reads `prompt + response` and the loss averages `-log p(response[j] | prefix)` over the
    /// response tokens only (prompt positions are masked out). NaN for an empty response.
    /// Samples run in groups of at most `maxTokensPerPass` tokens.
    public func responseLoss(
        prompts: [[Int]], responses: [[Int]], adapter: LoRAAdapter? = nil,
        maxTokensPerPass: Int = 4096
    ) throws -> [Double] {
        guard prompts.count == responses.count else {
            throw ModelError.invalidInput("\(prompts.count) prompts but \(responses.count) responses")
        }
        let sequences = zip(prompts, responses).map { $0 + $1 }
        try validate(prompts)
        try validate(sequences)
        let c = config, V = c.vocabSize
        var losses = [Double](repeating: .nan, count: prompts.count)
        let ws = Workspace()
        try LoRAContext.with(adapter, config: c) { lora in
            var start = 0
            while start < sequences.count {
                var end = start, total = 0
                while end < sequences.count && (end == start || total + sequences[end].count <= maxTokensPerPass) {
                    total += sequences[end].count
                    end += 1
                }
                var tokens: [Int] = []
                var spans: [Span] = []
                // (row of the packed matrix, target token, sample)
                var targets: [(row: Int, token: Int, sample: Int)] = []
                for s in start..<end {
                    let offset = tokens.count
                    spans.append(Span(offset: offset, count: sequences[s].count, past: 0))
                    tokens += sequences[s]
                    let p = prompts[s].count
                    for (j, t) in responses[s].enumerated() { targets.append((offset + p - 1 + j, t, s)) }
                }
                try WeightPointers.with(weights) { wp in
                    try runBlocks(tokens, spans: spans, caches: nil, lora: lora, ws: ws, weights: wp) { _, _ in }
                }
                var sums = [Double](repeating: 0, count: end - start)
                let chunk = 128
                var i = 0
                while i < targets.count {
                    let part = targets[i..<min(i + chunk, targets.count)]
                    let normed = finalNorm(rows: part.map(\.row), ws: ws)
                    let logits = ws.logits.reserve(part.count * V)
                    lmHead(normed, rows: part.count, into: logits, ws: ws)
                    for (g, t) in part.enumerated() {
                        let row = logits + g * V
                        var m = -Float.infinity
                        for v in 0..<V where row[v] > m { m = row[v] }
                        var sum: Double = 0
                        for v in 0..<V { sum += Double(expf(row[v] - m)) }
                        sums[t.sample - start] += Double(m) + log(sum) - Double(row[t.token])
                    }
                    i += chunk
                }
                for s in start..<end where !responses[s].isEmpty {
                    losses[s] = sums[s - start] / Double(responses[s].count)
                }
                start = end
            }
        }
        return losses
    }

    /// Perplexity `exp(mean NLL)` of each response given its prompt (see `responseLoss`).
    public func perplexity(prompts: [[Int]], responses: [[Int]], adapter: LoRAAdapter? = nil) throws -> [Double] {
        try responseLoss(prompts: prompts, responses: responses, adapter: adapter).map { exp($0) }
    }
}

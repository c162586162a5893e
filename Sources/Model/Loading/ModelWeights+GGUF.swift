extension ModelConfig {
    /// The shape of the model described by a GGUF file's metadata (`llama.*` or `gpt2.*` keys).
    public init(gguf: GGUFFile) throws {
        let m = gguf.metadata
        let path = gguf.path
        guard let archName = m["general.architecture"]?.string else {
            throw ModelError.invalidFile(path: path, reason: "metadata general.architecture is missing")
        }
        guard let architecture = Architecture(rawValue: archName) else {
            throw ModelError.unsupported("\(path): architecture '\(archName)' (supported: llama, gpt2)")
        }
        func int(_ key: String) throws -> Int {
            guard let value = m["\(archName).\(key)"] else {
                throw ModelError.invalidFile(path: path, reason: "metadata \(archName).\(key) is missing")
            }
            guard let v = value.int, v > 0 else {
                throw ModelError.invalidFile(path: path, reason: "metadata \(archName).\(key) is not a positive integer (\(value))")
            }
            return v
        }
        func float(_ key: String) throws -> Float? {
            guard let value = m["\(archName).\(key)"] else { return nil }
            guard let v = value.double, v.isFinite else {
                throw ModelError.invalidFile(path: path, reason: "metadata \(archName).\(key) is not a number")
            }
            return Float(v)
        }
        let d = try int("embedding_length")
        let heads = try int("attention.head_count")
        let kvHeads = m["\(archName).attention.head_count_kv"] == nil ? heads : try int("attention.head_count_kv")
        guard d % heads == 0, heads % kvHeads == 0 else {
            throw ModelError.invalidFile(path: path, reason: "\(heads) heads, \(kvHeads) KV heads do not divide width \(d)")
        }
        if m["\(archName).rope.dimension_count"] != nil {
            let rotary = try int("rope.dimension_count")
            guard rotary == d / heads else {
                throw ModelError.unsupported("\(path): partial rotary embeddings (\(rotary) of \(d / heads) dimensions)")
            }
        }
        if let scaling = m["\(archName).rope.scaling.type"]?.string, scaling != "none" {
            throw ModelError.unsupported("\(path): rope scaling '\(scaling)'")
        }
        let embedding = gguf.tensorInfo("token_embd.weight")
        let vocab: Int
        if m["\(archName).vocab_size"] != nil {
            vocab = try int("vocab_size")
        } else if let tokens = m["tokenizer.ggml.tokens"]?.array {
            vocab = tokens.count
        } else if let embedding, embedding.dimensions.count == 2 {
            vocab = embedding.dimensions[1]
        } else {
            throw ModelError.invalidFile(path: path, reason: "cannot tell the vocabulary size")
        }
        let epsKey = architecture == .llama ? "attention.layer_norm_rms_epsilon" : "attention.layer_norm_epsilon"
        self.init(architecture: architecture, vocabSize: vocab, hiddenSize: d,
                  intermediateSize: try int("feed_forward_length"), layerCount: try int("block_count"),
                  headCount: heads, kvHeadCount: kvHeads, contextLength: try int("context_length"),
                  ropeTheta: try float("rope.freq_base") ?? 10000,
                  normEpsilon: try float(epsKey) ?? 1e-5,
                  tiedEmbeddings: gguf.tensorInfo("output.weight") == nil,
                  bosTokenId: m["tokenizer.ggml.bos_token_id"]?.int,
                  eosTokenId: m["tokenizer.ggml.eos_token_id"]?.int)
    }
}

extension ModelWeights {
    /// Loads and dequantises all weights of a GGUF file, mapping llama.cpp tensor names to this
    /// struct. LLaMA Q and K rows are returned to Hugging Face order: llama.cpp's converter
    /// stores each head's rows interleaved (`reshape(heads, 2, hd/2).swapaxes(1, 2)`), which is undone here.
    public init(gguf: GGUFFile) throws {
        var c = try ModelConfig(gguf: gguf)
        let d = c.hiddenSize, ff = c.intermediateSize, hd = c.headDim, vocab = c.vocabSize
        func t(_ name: String, _ shape: [Int], rowOrder: [Int]? = nil) throws -> Tensor {
            try gguf.tensor(name, expectedShape: shape, rowOrder: rowOrder)
        }
        var layers: [LayerWeights] = []
        layers.reserveCapacity(c.layerCount)
        switch c.architecture {
        case .llama:
            let qOrder = Self.ggufRotaryRowOrder(heads: c.headCount, headDim: hd)
            let kOrder = Self.ggufRotaryRowOrder(heads: c.kvHeadCount, headDim: hd)
            for i in 0..<c.layerCount {
                let p = "blk.\(i)."
                let projections: [Projection: Linear] = [
                    .q: Linear(weight: try t(p + "attn_q.weight", [c.headCount * hd, d], rowOrder: qOrder)),
                    .k: Linear(weight: try t(p + "attn_k.weight", [c.kvHeadCount * hd, d], rowOrder: kOrder)),
                    .v: Linear(weight: try t(p + "attn_v.weight", [c.kvHeadCount * hd, d])),
                    .o: Linear(weight: try t(p + "attn_output.weight", [d, c.headCount * hd])),
                    .gate: Linear(weight: try t(p + "ffn_gate.weight", [ff, d])),
                    .up: Linear(weight: try t(p + "ffn_up.weight", [ff, d])),
                    .down: Linear(weight: try t(p + "ffn_down.weight", [d, ff])),
                ]
                layers.append(LayerWeights(attentionNorm: Norm(weight: try t(p + "attn_norm.weight", [d])),
                                           mlpNorm: Norm(weight: try t(p + "ffn_norm.weight", [d])),
                                           projections: projections))
            }
            let head = c.tiedEmbeddings ? nil : try t("output.weight", [vocab, d])
            self.init(config: c, tokenEmbedding: try t("token_embd.weight", [vocab, d]), positionEmbedding: nil,
                      layers: layers, finalNorm: Norm(weight: try t("output_norm.weight", [d])), lmHead: head)
        case .gpt2:
            func linear(_ name: String, _ outF: Int, _ inF: Int) throws -> Linear {
                Linear(weight: try t(name + ".weight", [outF, inF]), bias: try t(name + ".bias", [outF]))
            }
            func norm(_ name: String) throws -> Norm {
                Norm(weight: try t(name + ".weight", [d]), bias: try t(name + ".bias", [d]))
            }
            for i in 0..<c.layerCount {
                let p = "blk.\(i)."
                layers.append(LayerWeights(
                    attentionNorm: try norm(p + "attn_norm"), mlpNorm: try norm(p + "ffn_norm"),
                    projections: [
                        .cAttn: try linear(p + "attn_qkv", 3 * d, d),
                        .attnProj: try linear(p + "attn_output", d, d),
                        .fc: try linear(p + "ffn_up", ff, d),
                        .mlpProj: try linear(p + "ffn_down", d, ff),
                    ]))
            }
            let embedding = try t("token_embd.weight", [vocab, d])
            var head = c.tiedEmbeddings ? nil : try t("output.weight", [vocab, d])
            if head == embedding {  // llama.cpp's GPT-2 converter writes the tied matrix twice
                head = nil
                c.tiedEmbeddings = true
            }
            self.init(config: c, tokenEmbedding: embedding,
                      positionEmbedding: try t("position_embd.weight", [c.contextLength, d]),
                      layers: layers, finalNorm: try norm("output_norm"), lmHead: head)
        }
    }

    /// For each Hugging Face row of a Q or K matrix, the GGUF row it is stored in. Within a head
    /// of `headDim` rows, HF row `s * headDim/2 + i` is GGUF row `2 i + s`.
    static func ggufRotaryRowOrder(heads: Int, headDim: Int) -> [Int] {
        let half = headDim / 2
        var order = [Int](repeating: 0, count: heads * headDim)
        for h in 0..<heads {
            for s in 0..<2 {
                for i in 0..<half { order[h * headDim + s * half + i] = h * headDim + 2 * i + s }
            }
        }
        return order
    }
}

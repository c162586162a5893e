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

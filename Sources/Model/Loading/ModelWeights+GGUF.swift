extension ModelWeights {
    /// Loads and dequantises all weights of a GGUF file, mapping llama.cpp tensor names (the
    /// definition's `ggufNames`) to this struct. Q and K rows (`ggufInterleavedRows`) are returned
    /// to Hugging Face order: llama.cpp's LLaMA converter stores each head's rows interleaved
    /// (`reshape(heads, 2, hd/2).swapaxes(1, 2)`), which is undone here.
    public init(gguf: GGUFFile) throws {
        var c = try ModelConfig(gguf: gguf)
        let arch = c.definition, names = arch.ggufNames, shapes = arch.shapes(c)
        let d = c.hiddenSize, hd = c.headDim, vocab = c.vocabSize
        func t(_ name: String, _ shape: [Int], rowOrder: [Int]? = nil) throws -> Tensor {
            try gguf.tensor(name, expectedShape: shape, rowOrder: rowOrder)
        }
        func norm(_ name: String) throws -> Norm {
            Norm(weight: try t(name + ".weight", [d]), bias: arch.biases ? try t(name + ".bias", [d]) : nil)
        }
        var layers: [LayerWeights] = []
        layers.reserveCapacity(c.layerCount)
        for i in 0..<c.layerCount {
            let block = names.block(i)
            var projections: [Projection: Linear] = [:]
            for p in arch.projections {
                let (outF, inF) = shapes[p]!, name = block + names.projections[p]!
                let order =
                    arch.ggufInterleavedRows.contains(p)
                    ? Self.ggufRotaryRowOrder(heads: outF / hd, headDim: hd) : nil
                projections[p] = Linear(
                    weight: try t(name + ".weight", [outF, inF], rowOrder: order),
                    bias: arch.biases ? try t(name + ".bias", [outF]) : nil)
            }
            layers.append(
                LayerWeights(
                    attentionNorm: try norm(block + names.attentionNorm),
                    mlpNorm: try norm(block + names.mlpNorm), projections: projections))
        }
        let embedding = try t(names.tokenEmbedding + ".weight", [vocab, d])
        var head = c.tiedEmbeddings ? nil : try t(names.lmHead + ".weight", [vocab, d])
        if head == embedding {  // llama.cpp's GPT-2 converter writes the tied matrix twice
            head = nil
            c.tiedEmbeddings = true
        }
        let positions = try names.positionEmbedding.map { try t($0 + ".weight", [c.contextLength, d]) }
        self.init(
            config: c, tokenEmbedding: embedding, positionEmbedding: positions, layers: layers,
            finalNorm: try norm(names.finalNorm), lmHead: head)
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

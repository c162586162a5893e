extension ModelWeights {
    /// Builds weights from tensors named as in a Hugging Face checkpoint (`model.layers.3.self_attn.q_proj.weight`,
    /// `transformer.h.0.attn.c_attn.weight`, ...), exactly as stored there: GPT-2's Conv1D weights
    /// `[in, out]` are transposed here to `[out, in]`. A `transformer.` prefix on GPT-2 names is optional.
    /// `source` names the file or folder in errors.
    public init(huggingFace tensors: [String: Tensor], config: ModelConfig, source: String) throws {
        func take(_ name: String, _ shape: [Int]) throws -> Tensor {
            guard let t = tensors[name] ?? tensors["transformer." + name] else {
                throw ModelError.invalidTensor(path: source, tensor: name, reason: "missing")
            }
            guard t.shape == shape || (t.count == shape.reduce(1, *) && shape.count == 1) else {
                throw ModelError.invalidTensor(path: source, tensor: name,
                                               reason: "shape \(t.shape), expected \(shape)")
            }
            return Tensor(shape: shape, data: t.data)
        }
        func conv1D(_ name: String, inF: Int, outF: Int) throws -> Linear {
            let w = try take(name + ".weight", [inF, outF])
            var transposed = [Float](repeating: 0, count: inF * outF)
            for i in 0..<inF { for o in 0..<outF { transposed[o * inF + i] = w.data[i * outF + o] } }
            return Linear(weight: Tensor(shape: [outF, inF], data: transposed), bias: try take(name + ".bias", [outF]))
        }
        let c = config, d = c.hiddenSize, ff = c.intermediateSize, hd = c.headDim
        var layers: [LayerWeights] = []
        switch c.architecture {
        case .llama:
            for i in 0..<c.layerCount {
                let p = "model.layers.\(i)."
                let shapes: [(Projection, String, [Int])] = [
                    (.q, "self_attn.q_proj", [c.headCount * hd, d]), (.k, "self_attn.k_proj", [c.kvHeadCount * hd, d]),
                    (.v, "self_attn.v_proj", [c.kvHeadCount * hd, d]), (.o, "self_attn.o_proj", [d, c.headCount * hd]),
                    (.gate, "mlp.gate_proj", [ff, d]), (.up, "mlp.up_proj", [ff, d]), (.down, "mlp.down_proj", [d, ff]),
                ]
                var projections: [Projection: Linear] = [:]
                for (proj, name, shape) in shapes {
                    projections[proj] = Linear(weight: try take(p + name + ".weight", shape))
                }
                layers.append(LayerWeights(attentionNorm: Norm(weight: try take(p + "input_layernorm.weight", [d])),
                                           mlpNorm: Norm(weight: try take(p + "post_attention_layernorm.weight", [d])),
                                           projections: projections))
            }
            let embed = try take("model.embed_tokens.weight", [c.vocabSize, d])
            let head = c.tiedEmbeddings ? nil : try take("lm_head.weight", [c.vocabSize, d])
            self.init(config: c, tokenEmbedding: embed, positionEmbedding: nil, layers: layers,
                      finalNorm: Norm(weight: try take("model.norm.weight", [d])), lmHead: head)
        case .gpt2:
            for i in 0..<c.layerCount {
                let p = "h.\(i)."
                layers.append(LayerWeights(
                    attentionNorm: Norm(weight: try take(p + "ln_1.weight", [d]), bias: try take(p + "ln_1.bias", [d])),
                    mlpNorm: Norm(weight: try take(p + "ln_2.weight", [d]), bias: try take(p + "ln_2.bias", [d])),
                    projections: [
                        .cAttn: try conv1D(p + "attn.c_attn", inF: d, outF: 3 * d),
                        .attnProj: try conv1D(p + "attn.c_proj", inF: d, outF: d),
                        .fc: try conv1D(p + "mlp.c_fc", inF: d, outF: ff),
                        .mlpProj: try conv1D(p + "mlp.c_proj", inF: ff, outF: d),
                    ]))
            }
            let head = c.tiedEmbeddings ? nil : try take("lm_head.weight", [c.vocabSize, d])
            self.init(config: c, tokenEmbedding: try take("wte.weight", [c.vocabSize, d]),
                      positionEmbedding: try take("wpe.weight", [c.contextLength, d]), layers: layers,
                      finalNorm: Norm(weight: try take("ln_f.weight", [d]), bias: try take("ln_f.bias", [d])),
                      lmHead: head)
        }
    }
}

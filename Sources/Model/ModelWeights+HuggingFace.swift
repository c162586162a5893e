extension ModelWeights {
    /// Builds weights from tensors named as in a Hugging Face checkpoint (the definition's
    /// `huggingFaceNames`: `model.layers.3.self_attn.q_proj.weight`, `transformer.h.0.attn.c_attn.weight`,
    /// ...), exactly as stored there: Conv1D weights `[in, out]` (GPT-2's, `peftFanInFanOut`) are
    /// transposed here to `[out, in]`. A `transformer.` prefix on names is optional.
    /// `source` names the file or folder in errors.
    public init(huggingFace tensors: [String: Tensor], config: ModelConfig, source: String) throws {
        func take(_ name: String, _ shape: [Int]) throws -> Tensor {
            guard let t = tensors[name] ?? tensors["transformer." + name] else {
                throw ModelError.invalidTensor(path: source, tensor: name, reason: "missing")
            }
            guard t.shape == shape || (t.count == shape.reduce(1, *) && shape.count == 1) else {
                throw ModelError.invalidTensor(
                    path: source, tensor: name,
                    reason: "shape \(t.shape), expected \(shape)")
            }
            return Tensor(shape: shape, data: t.data)
        }
        let c = config, arch = c.definition, names = arch.huggingFaceNames, shapes = arch.shapes(c), d = c.hiddenSize
        /// A projection's weight `[out, in]` (Conv1D's `[in, out]` transposed) and bias.
        func linear(_ name: String, outF: Int, inF: Int) throws -> Linear {
            let bias = arch.biases ? try take(name + ".bias", [outF]) : nil
            guard arch.peftFanInFanOut else {
                return Linear(weight: try take(name + ".weight", [outF, inF]), bias: bias)
            }
            let w = try take(name + ".weight", [inF, outF])
            var transposed = [Float](repeating: 0, count: inF * outF)
            for i in 0..<inF { for o in 0..<outF { transposed[o * inF + i] = w.data[i * outF + o] } }
            return Linear(weight: Tensor(shape: [outF, inF], data: transposed), bias: bias)
        }
        func norm(_ name: String) throws -> Norm {
            Norm(weight: try take(name + ".weight", [d]), bias: arch.biases ? try take(name + ".bias", [d]) : nil)
        }
        var layers: [LayerWeights] = []
        for i in 0..<c.layerCount {
            let block = names.block(i)
            var projections: [Projection: Linear] = [:]
            for p in arch.projections {
                let (outF, inF) = shapes[p]!
                projections[p] = try linear(block + names.projections[p]!, outF: outF, inF: inF)
            }
            layers.append(
                LayerWeights(
                    attentionNorm: try norm(block + names.attentionNorm),
                    mlpNorm: try norm(block + names.mlpNorm), projections: projections))
        }
        let head = c.tiedEmbeddings ? nil : try take(names.lmHead + ".weight", [c.vocabSize, d])
        self.init(
            config: c, tokenEmbedding: try take(names.tokenEmbedding + ".weight", [c.vocabSize, d]),
            positionEmbedding: try names.positionEmbedding.map { try take($0 + ".weight", [c.contextLength, d]) },
            layers: layers, finalNorm: try norm(names.finalNorm), lmHead: head)
    }
}

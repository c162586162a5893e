import Foundation

extension ModelWeights {
    /// A randomly initialised model (normal weights with std 0.02, unit norms, zero biases): the
    /// tiny built-in model of tests and `experiments/smoke.toml`, which needs no download.
    public static func random<G: RandomNumberGenerator>(config c: ModelConfig, using rng: inout G) -> ModelWeights {
        func normal(_ shape: [Int]) -> Tensor {
            let n = shape.reduce(1, *)
            var data = [Float](repeating: 0, count: n)
            var i = 0
            while i < n {  // Box-Muller, two values per draw
                let u1 = Double.random(in: Double.ulpOfOne..<1, using: &rng)
                let u2 = Double.random(in: 0..<1, using: &rng)
                let r = (-2 * log(u1)).squareRoot() * 0.02
                data[i] = Float(r * cos(2 * Double.pi * u2))
                if i + 1 < n { data[i + 1] = Float(r * sin(2 * Double.pi * u2)) }
                i += 2
            }
            return Tensor(shape: shape, data: data)
        }
        func ones(_ n: Int) -> Tensor { Tensor(shape: [n], data: [Float](repeating: 1, count: n)) }
        let d = c.hiddenSize
        let arch = c.definition
        let shapes = LoRAAdapter.projectionShapes(c)
        var layers: [LayerWeights] = []
        for _ in 0..<c.layerCount {
            var projections: [Projection: Linear] = [:]
            for projection in Projection.all(for: c.architecture) {
                let (outF, inF) = shapes[projection]!
                projections[projection] = Linear(
                    weight: normal([outF, inF]),
                    bias: arch.biases ? Tensor(zeros: [outF]) : nil)
            }
            layers.append(
                LayerWeights(
                    attentionNorm: Norm(weight: ones(d), bias: arch.biases ? Tensor(zeros: [d]) : nil),
                    mlpNorm: Norm(weight: ones(d), bias: arch.biases ? Tensor(zeros: [d]) : nil),
                    projections: projections))
        }
        return ModelWeights(
            config: c, tokenEmbedding: normal([c.vocabSize, d]),
            positionEmbedding: arch.positions == .learned ? normal([c.contextLength, d]) : nil, layers: layers,
            finalNorm: Norm(weight: ones(d), bias: arch.biases ? Tensor(zeros: [d]) : nil),
            lmHead: c.tiedEmbeddings ? nil : normal([c.vocabSize, d]))
    }
}

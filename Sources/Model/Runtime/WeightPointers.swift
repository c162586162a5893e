/// Stable pointers to every frozen tensor of a `ModelWeights`, valid inside
/// `WeightPointers.with(_:_:)` only. The weights are read, never written or copied.
struct WeightPointers {
    struct LinearPointers {
        let weight: UnsafePointer<Float>; let bias: UnsafePointer<Float>?; let inF: Int; let outF: Int
    }
    struct NormPointers { let weight: UnsafePointer<Float>; let bias: UnsafePointer<Float>? }
    struct LayerPointers {
        let attentionNorm: NormPointers
        let mlpNorm: NormPointers
        let projections: [Projection: LinearPointers]
    }

    let tokenEmbedding: UnsafePointer<Float>
    let positionEmbedding: UnsafePointer<Float>?
    let layers: [LayerPointers]
    let finalNorm: NormPointers
    let output: UnsafePointer<Float>

    static func with<R>(_ w: ModelWeights, _ body: (WeightPointers) throws -> R) rethrows -> R {
        var arrays: [[Float]] = []
        func reg(_ t: Tensor?) -> Int {
            guard let t else { return -1 }
            arrays.append(t.data)
            return arrays.count - 1
        }
        let embed = reg(w.tokenEmbedding), pos = reg(w.positionEmbedding)
        let layerIdx = w.layers.map { l in
            (
                reg(l.attentionNorm.weight), reg(l.attentionNorm.bias), reg(l.mlpNorm.weight), reg(l.mlpNorm.bias),
                l.projections.map {
                    (
                        key: $0.key, w: reg($0.value.weight), b: reg($0.value.bias),
                        inF: $0.value.inFeatures, outF: $0.value.outFeatures
                    )
                }
            )
        }
        let fnW = reg(w.finalNorm.weight), fnB = reg(w.finalNorm.bias), out = reg(w.outputMatrix)
        return try pointers(arrays[...], []) { p in
            func at(_ i: Int) -> UnsafePointer<Float>? { i < 0 ? nil : p[i] }
            let layers = layerIdx.map { l in
                LayerPointers(
                    attentionNorm: NormPointers(weight: p[l.0], bias: at(l.1)),
                    mlpNorm: NormPointers(weight: p[l.2], bias: at(l.3)),
                    projections: Dictionary(
                        uniqueKeysWithValues: l.4.map {
                            ($0.key, LinearPointers(weight: p[$0.w], bias: at($0.b), inF: $0.inF, outF: $0.outF))
                        }))
            }
            return try body(
                WeightPointers(
                    tokenEmbedding: p[embed], positionEmbedding: at(pos), layers: layers,
                    finalNorm: NormPointers(weight: p[fnW], bias: at(fnB)), output: p[out]))
        }
    }

    private static func pointers<R>(
        _ arrays: ArraySlice<[Float]>, _ acc: [UnsafePointer<Float>],
        _ body: ([UnsafePointer<Float>]) throws -> R
    ) rethrows -> R {
        guard let first = arrays.first else { return try body(acc) }
        return try first.withUnsafeBufferPointer { buffer in
            try pointers(arrays.dropFirst(), acc + [buffer.baseAddress!], body)
        }
    }
}

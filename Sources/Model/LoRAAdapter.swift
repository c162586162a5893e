/// Where one adapted projection's factors live inside the flat parameter vector.
public struct LoRAView: Sendable, Equatable {
    public var layer: Int
    public var projection: Projection
    public var inFeatures: Int
    public var outFeatures: Int
    /// Offset of A `[r, in]` (row-major) in `LoRAAdapter.parameters`.
    public var aOffset: Int
    /// Offset of B `[out, r]` (row-major) in `LoRAAdapter.parameters`.
    public var bOffset: Int
}

/// LoRA adapters of a whole model as ONE flat parameter vector with named views, so FedAvg,
/// zeroing, checkpoints and messages are one loop each.
///
/// Layout: for each layer in order, for each target projection in `config.targets` order,
/// A `[r, in]` then B `[out, r]`. The update of a projection is `scale * B A` (`[out, in]`).
public struct LoRAAdapter: Sendable, Equatable {
    public var config: LoRAConfig
    public var views: [LoRAView]
    public var parameters: [Float]

    /// Lays out adapters for `model` with all-zero parameters (call an initializer to fill A).
    public init(config: LoRAConfig, model: ModelConfig) {
        let shapes = LoRAAdapter.projectionShapes(model)
        var views: [LoRAView] = []
        var offset = 0
        for layer in 0..<model.layerCount {
            for projection in config.targets {
                guard let (outF, inF) = shapes[projection] else { continue }
                let a = offset
                offset += config.rank * inF
                let b = offset
                offset += outF * config.rank
                views.append(
                    LoRAView(
                        layer: layer, projection: projection, inFeatures: inF,
                        outFeatures: outF, aOffset: a, bOffset: b))
            }
        }
        self.config = config
        self.views = views
        self.parameters = [Float](repeating: 0, count: offset)
    }

    /// (out, in) of every projection of an architecture.
    public static func projectionShapes(_ m: ModelConfig) -> [Projection: (Int, Int)] {
        m.definition.shapes(m)
    }

    /// The view of one projection, if it is adapted.
    public func view(layer: Int, projection: Projection) -> LoRAView? {
        views.first { $0.layer == layer && $0.projection == projection }
    }
}

/// A LoRA adapter checked against a model and indexed by (layer, projection), with its flat
/// parameters pinned for the duration of one call.
struct LoRAContext {
    let parameters: UnsafePointer<Float>
    let rank: Int
    let scale: Float
    /// `views[layer * Projection.allCases.count + projection index]`.
    private let views: [LoRAView?]

    private static let projectionIndex: [Projection: Int] = {
        var m: [Projection: Int] = [:]
        for (i, p) in Projection.allCases.enumerated() { m[p] = i }
        return m
    }()

    /// Checks the layout of `adapter` against `config` and runs `body` with the pinned context
    /// (or nil without an adapter).
    static func with<R>(
        _ adapter: LoRAAdapter?, config: ModelConfig,
        _ body: (LoRAContext?) throws -> R
    ) throws -> R {
        guard let adapter else { return try body(nil) }
        let shapes = LoRAAdapter.projectionShapes(config)
        let r = adapter.config.rank
        guard r > 0 else { throw ModelError.adapterMismatch("rank \(r) must be positive") }
        let stride = Projection.allCases.count
        var views = [LoRAView?](repeating: nil, count: config.layerCount * stride)
        for view in adapter.views {
            guard view.layer >= 0, view.layer < config.layerCount else {
                throw ModelError.adapterMismatch("layer \(view.layer) but the model has \(config.layerCount) layers")
            }
            guard let (outF, inF) = shapes[view.projection], outF == view.outFeatures, inF == view.inFeatures else {
                throw ModelError.adapterMismatch(
                    "\(view.projection.rawValue) of layer \(view.layer) is "
                        + "[\(view.outFeatures), \(view.inFeatures)], not a projection of this \(config.architecture.rawValue) model"
                )
            }
            guard view.aOffset >= 0, view.aOffset + r * inF <= adapter.parameters.count,
                view.bOffset >= 0, view.bOffset + outF * r <= adapter.parameters.count
            else {
                throw ModelError.adapterMismatch(
                    "\(view.projection.rawValue) of layer \(view.layer) lies outside "
                        + "the \(adapter.parameters.count) parameters")
            }
            views[view.layer * stride + projectionIndex[view.projection]!] = view
        }
        if adapter.views.isEmpty { return try body(nil) }
        return try adapter.parameters.withUnsafeBufferPointer { p in
            try body(LoRAContext(parameters: p.baseAddress!, rank: r, scale: adapter.config.scale, views: views))
        }
    }

    func view(layer: Int, projection: Projection) -> LoRAView? {
        views[layer * Projection.allCases.count + LoRAContext.projectionIndex[projection]!]
    }
}

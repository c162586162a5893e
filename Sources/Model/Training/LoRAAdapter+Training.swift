import Foundation

extension LoRAAdapter {
    /// PEFT's initialisation: A ~ kaiming_uniform(a = sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)), B = 0.
    public mutating func initializeAsPEFT<G: RandomNumberGenerator>(using rng: inout G) {
        let r = config.rank
        for v in views {
            let bound = 1 / Float(v.inFeatures).squareRoot()
            for i in 0..<(r * v.inFeatures) {
                parameters[v.aOffset + i] = Float.random(in: -bound...bound, using: &rng)
            }
            for i in 0..<(v.outFeatures * r) { parameters[v.bOffset + i] = 0 }
        }
    }

    /// A freshly laid out adapter for `model`, initialised as PEFT does.
    public static func peftInitialized<G: RandomNumberGenerator>(
        config: LoRAConfig, model: ModelConfig,
        using rng: inout G
    ) -> LoRAAdapter {
        var a = LoRAAdapter(config: config, model: model)
        a.initializeAsPEFT(using: &rng)
        return a
    }

    /// Checks that this adapter's layout is the one `model` needs.
    public func validate(for model: ModelConfig) throws {
        let expected = LoRAAdapter(config: config, model: model)
        guard expected.views == views, expected.parameters.count == parameters.count else {
            throw ModelError.adapterMismatch(
                "adapter has \(views.count) views and \(parameters.count) parameters; the model (\(model.architecture), "
                    + "\(model.layerCount) layers, d \(model.hiddenSize)) needs \(expected.views.count) views and "
                    + "\(expected.parameters.count) parameters")
        }
    }
}

import Foundation
import Model

extension ModelCompute {
    /// A PEFT LoRA adapter folder as this run's flat adapter vector. Throws naming the difference
    /// when the adapter was made for another base model shape or another LoRA setting (rank,
    /// alpha, target projections) than the configuration's.
    public func loadAdapter(directory: String) throws -> [Float] {
        let loaded: LoRAAdapter
        do { loaded = try LoRAAdapter.loadPEFT(directory: directory, model: base.decoder.config) } catch {
            throw ActorsError.invalidConfiguration("--adapter \(directory): \(error)")
        }
        let mine = lora
        var differences: [String] = []
        if loaded.config.rank != mine.rank {
            differences.append("r \(loaded.config.rank) (configuration: lora.rank = \(mine.rank))")
        }
        if loaded.config.alpha != mine.alpha {
            differences.append("lora_alpha \(loaded.config.alpha) (configuration: lora.alpha = \(mine.alpha))")
        }
        if Set(loaded.config.targets) != Set(mine.targets) {
            differences.append(
                "target_modules \(loaded.config.targets.map(\.rawValue)) (this run adapts \(mine.targets.map(\.rawValue)))"
            )
        }
        guard differences.isEmpty else {
            throw ActorsError.invalidConfiguration(
                "--adapter \(directory) does not match the configuration: "
                    + differences.joined(separator: "; ") + " (set the lora keys with --set to match)")
        }
        // Same settings: lay the tensors out in this run's view order.
        var a = LoRAAdapter(config: mine, model: base.decoder.config)
        for v in a.views {
            guard let w = loaded.views.first(where: { $0.layer == v.layer && $0.projection == v.projection }) else {
                throw ActorsError.invalidConfiguration(
                    "--adapter \(directory): no factors for layer \(v.layer) \(v.projection.rawValue)")
            }
            let r = mine.rank
            a.parameters.replaceSubrange(
                v.aOffset..<(v.aOffset + r * v.inFeatures),
                with: loaded.parameters[w.aOffset..<(w.aOffset + r * w.inFeatures)])
            a.parameters.replaceSubrange(
                v.bOffset..<(v.bOffset + v.outFeatures * r),
                with: loaded.parameters[w.bOffset..<(w.bOffset + w.outFeatures * r)])
        }
        return a.parameters
    }

    /// The base model's display name (file name, or "tiny-random-llama").
    public var modelName: String { base.name }
}

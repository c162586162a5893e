import Foundation

/// PEFT-compatible adapter files: `adapter_model.safetensors` with PEFT's tensor names and
/// `adapter_config.json`, so Python's PEFT loads our adapters on the same base model (and we load
/// theirs).
extension LoRAAdapter {
    public static let peftWeightsFile = "adapter_model.safetensors"
    public static let peftConfigFile = "adapter_config.json"

    /// PEFT's name of a view's factor ("lora_A": `[r, in]`, "lora_B": `[out, r]`), e.g.
    /// `base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight` or
    /// `base_model.model.transformer.h.0.attn.c_attn.lora_B.weight`.
    public static func peftName(
        layer: Int, projection: Projection, architecture: Architecture,
        factor: String
    ) -> String {
        "base_model.model.\(architecture.definition.peftModule(layer, projection)).\(factor).weight"
    }

    /// The adapter's tensors under PEFT's names, in view order (A then B).
    public func peftTensors(architecture: Architecture) -> [(name: String, tensor: Tensor)] {
        let r = config.rank
        return views.flatMap { v -> [(name: String, tensor: Tensor)] in
            let a = Array(parameters[v.aOffset..<(v.aOffset + r * v.inFeatures)])
            let b = Array(parameters[v.bOffset..<(v.bOffset + v.outFeatures * r)])
            return [
                (
                    LoRAAdapter.peftName(
                        layer: v.layer, projection: v.projection, architecture: architecture, factor: "lora_A"),
                    Tensor(shape: [r, v.inFeatures], data: a)
                ),
                (
                    LoRAAdapter.peftName(
                        layer: v.layer, projection: v.projection, architecture: architecture, factor: "lora_B"),
                    Tensor(shape: [v.outFeatures, r], data: b)
                )
            ]
        }
    }

    /// Writes `adapter_model.safetensors` and `adapter_config.json` into `directory` (created if
    /// needed). `baseModel` is recorded as `base_model_name_or_path`.
    public func savePEFT(directory: String, model: ModelConfig, baseModel: String = "") throws {
        try validate(for: model)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let dir = URL(fileURLWithPath: directory)
        try SafetensorsFile.write(
            peftTensors(architecture: model.architecture), metadata: ["format": "pt"],
            to: dir.appendingPathComponent(LoRAAdapter.peftWeightsFile).path)
        let json: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": config.rank, "lora_alpha": shortest(config.alpha),
            "lora_dropout": shortest(config.dropout), "target_modules": config.targets.map(\.rawValue),
            "fan_in_fan_out": model.definition.peftFanInFanOut, "bias": "none", "base_model_name_or_path": baseModel,
            "inference_mode": true, "init_lora_weights": true, "use_rslora": false, "use_dora": false,
            "modules_to_save": NSNull(), "layers_to_transform": NSNull(), "revision": NSNull()
        ]
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: dir.appendingPathComponent(LoRAAdapter.peftConfigFile), options: .atomic)
    }

    /// A Float as the JSON number of its shortest decimal form (0.05, not 0.0500000007).
    private func shortest(_ x: Float) -> NSNumber {
        x == x.rounded() ? NSNumber(value: Int(x)) : NSNumber(value: Double("\(x)") ?? Double(x))
    }

    /// Reads a PEFT LoRA adapter for `model` from `directory`. Throws `ModelError.adapterMismatch`
    /// when the adapter was made for another model shape (missing, extra or mis-shaped tensors),
    /// `invalidFile` for unreadable files, `unsupported` for PEFT options we do not implement.
    public static func loadPEFT(directory: String, model: ModelConfig) throws -> LoRAAdapter {
        let dir = URL(fileURLWithPath: directory)
        let configPath = dir.appendingPathComponent(peftConfigFile).path
        guard let data = FileManager.default.contents(atPath: configPath),
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else {
            throw ModelError.invalidFile(path: configPath, reason: "missing or not a JSON object")
        }
        guard (json["peft_type"] as? String)?.uppercased() == "LORA" else {
            throw ModelError.unsupported("\(configPath): peft_type \(json["peft_type"] ?? "missing"), expected LORA")
        }
        guard let rank = (json["r"] as? NSNumber)?.intValue, rank > 0,
            let alpha = (json["lora_alpha"] as? NSNumber)?.floatValue
        else {
            throw ModelError.invalidFile(path: configPath, reason: "r and lora_alpha must be numbers")
        }
        if (json["use_rslora"] as? Bool) == true || (json["use_dora"] as? Bool) == true {
            throw ModelError.unsupported("\(configPath): rsLoRA / DoRA adapters")
        }
        let dropout = (json["lora_dropout"] as? NSNumber)?.floatValue ?? 0
        let names: [String]
        if let list = json["target_modules"] as? [String] {
            names = list
        } else if let one = json["target_modules"] as? String {
            names = [one]
        } else {
            throw ModelError.invalidFile(path: configPath, reason: "target_modules missing")
        }
        // PEFT matches a module when its name ends with ".<target>".
        let targets = Projection.all(for: model.architecture).filter { p in
            names.contains { n in p.rawValue == n || p.rawValue.hasSuffix("." + n) || n.hasSuffix("." + p.rawValue) }
        }
        guard !targets.isEmpty else {
            throw ModelError.adapterMismatch("target_modules \(names) name no \(model.architecture) projection")
        }
        var adapter = LoRAAdapter(
            config: LoRAConfig(rank: rank, alpha: alpha, dropout: dropout, targets: targets),
            model: model)
        let weightsPath = dir.appendingPathComponent(peftWeightsFile).path
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            throw ModelError.invalidFile(path: weightsPath, reason: "missing")
        }
        var tensors = try SafetensorsFile.read(path: weightsPath)
        // Some PEFT versions keep the adapter name in tensor names.
        for (k, v) in tensors where k.contains(".default.") {
            tensors[k.replacingOccurrences(of: ".default.", with: ".")] = v
            tensors[k] = nil
        }
        var used = 0
        for v in adapter.views {
            for (factor, offset, shape) in [
                ("lora_A", v.aOffset, [rank, v.inFeatures]), ("lora_B", v.bOffset, [v.outFeatures, rank])
            ] {
                let name = peftName(
                    layer: v.layer, projection: v.projection, architecture: model.architecture, factor: factor)
                guard let t = tensors[name] else {
                    throw ModelError.adapterMismatch("\(weightsPath): tensor \(name) missing for this model")
                }
                guard t.shape == shape else {
                    throw ModelError.adapterMismatch(
                        "\(weightsPath): \(name) has shape \(t.shape), this model needs \(shape)")
                }
                adapter.parameters.replaceSubrange(offset..<(offset + t.count), with: t.data)
                used += 1
            }
        }
        guard used == tensors.count else {
            let known = Set(
                adapter.views.flatMap { v in
                    ["lora_A", "lora_B"].map {
                        peftName(layer: v.layer, projection: v.projection, architecture: model.architecture, factor: $0)
                    }
                })
            let extra = tensors.keys.filter { !known.contains($0) }.sorted().prefix(3)
            throw ModelError.adapterMismatch(
                "\(weightsPath): \(tensors.count - used) tensors this model does not have, e.g. \(Array(extra))")
        }
        return adapter
    }
}

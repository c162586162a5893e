import Foundation

/// A Hugging Face model folder: `config.json`, `model.safetensors` (or shards listed in
/// `model.safetensors.index.json`) and `tokenizer.json`.
enum HuggingFaceFolder {
    static func load(path: String) throws -> LoadedModel {
        let folder = URL(fileURLWithPath: path)
        let configPath = folder.appendingPathComponent("config.json").path
        let config = try ModelConfig(huggingFaceConfig: configPath)
        let tokenizer = try loadTokenizer(path: path, config: config)
        let tensors = try readTensors(folder: folder)
        let weights = try ModelWeights(huggingFace: tensors, config: config, source: path)
        guard tokenizer.vocabSize <= config.vocabSize else {
            throw ModelError.invalidFile(
                path: path, reason: "tokenizer has \(tokenizer.vocabSize) tokens, model \(config.vocabSize)")
        }
        return LoadedModel(weights: weights, tokenizer: tokenizer)
    }

    /// The folder's tokenizer.json, with BOS and EOS ids from config.json.
    static func loadTokenizer(path: String, config: ModelConfig? = nil) throws -> Tokenizer {
        let folder = URL(fileURLWithPath: path)
        let config = try config ?? ModelConfig(huggingFaceConfig: folder.appendingPathComponent("config.json").path)
        let tokenizerPath = folder.appendingPathComponent("tokenizer.json").path
        guard FileManager.default.fileExists(atPath: tokenizerPath) else {
            throw ModelError.invalidFile(path: path, reason: "tokenizer.json is missing")
        }
        return try Tokenizer(tokenizerJSON: tokenizerPath, bosTokenId: config.bosTokenId, eosTokenId: config.eosTokenId)
    }

    /// All tensors of the single file or of every shard of the index.
    static func readTensors(folder: URL) throws -> [String: Tensor] {
        let single = folder.appendingPathComponent("model.safetensors").path
        let indexPath = folder.appendingPathComponent("model.safetensors.index.json").path
        let fm = FileManager.default
        if fm.fileExists(atPath: single) { return try SafetensorsFile.read(path: single) }
        guard fm.fileExists(atPath: indexPath) else {
            throw ModelError.invalidFile(
                path: folder.path, reason: "neither model.safetensors nor model.safetensors.index.json")
        }
        guard let data = fm.contents(atPath: indexPath),
            let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let map = root["weight_map"] as? [String: String]
        else {
            throw ModelError.invalidFile(path: indexPath, reason: "not a safetensors index (no weight_map)")
        }
        var tensors: [String: Tensor] = [:]
        for shard in Set(map.values).sorted() {
            guard !shard.contains("/"), !shard.hasPrefix(".") else {
                throw ModelError.invalidFile(
                    path: indexPath, reason: "shard name '\(shard)' is not a file in the folder")
            }
            let shardPath = folder.appendingPathComponent(shard).path
            guard fm.fileExists(atPath: shardPath) else {
                throw ModelError.invalidFile(path: shardPath, reason: "shard listed in the index is missing")
            }
            for (name, t) in try SafetensorsFile.read(path: shardPath) {
                if let expected = map[name], expected != shard {
                    throw ModelError.invalidTensor(
                        path: shardPath, tensor: name, reason: "index says it is in \(expected)")
                }
                tensors[name] = t
            }
        }
        for (name, shard) in map where tensors[name] == nil {
            throw ModelError.invalidTensor(
                path: folder.appendingPathComponent(shard).path, tensor: name,
                reason: "listed in the index but missing from the shard")
        }
        return tensors
    }
}

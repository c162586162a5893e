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
            throw ModelError.invalidFile(path: path, reason: "tokenizer has \(tokenizer.vocabSize) tokens, model \(config.vocabSize)")
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
            throw ModelError.invalidFile(path: folder.path, reason: "neither model.safetensors nor model.safetensors.index.json")
        }
        guard let data = fm.contents(atPath: indexPath),
              let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let map = root["weight_map"] as? [String: String] else {
            throw ModelError.invalidFile(path: indexPath, reason: "not a safetensors index (no weight_map)")
        }
        var tensors: [String: Tensor] = [:]
        for shard in Set(map.values).sorted() {
            guard !shard.contains("/"), !shard.hasPrefix(".") else {
                throw ModelError.invalidFile(path: indexPath, reason: "shard name '\(shard)' is not a file in the folder")
            }
            let shardPath = folder.appendingPathComponent(shard).path
            guard fm.fileExists(atPath: shardPath) else {
                throw ModelError.invalidFile(path: shardPath, reason: "shard listed in the index is missing")
            }
            for (name, t) in try SafetensorsFile.read(path: shardPath) {
                if let expected = map[name], expected != shard {
                    throw ModelError.invalidTensor(path: shardPath, tensor: name, reason: "index says it is in \(expected)")
                }
                tensors[name] = t
            }
        }
        for (name, shard) in map where tensors[name] == nil {
            throw ModelError.invalidTensor(path: folder.appendingPathComponent(shard).path, tensor: name,
                                           reason: "listed in the index but missing from the shard")
        }
        return tensors
    }
}

extension ModelConfig {
    /// The shape of a model from its Hugging Face `config.json` (model_type llama or gpt2).
    public init(huggingFaceConfig path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError.invalidFile(path: path, reason: "cannot read")
        }
        guard let c = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.invalidFile(path: path, reason: "not a JSON object")
        }
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            if let v = c[key] as? Int, v > 0 { return v }
            if c[key] == nil || c[key] is NSNull, let value { return value }
            throw ModelError.invalidFile(path: path, reason: "\(key) is missing or not a positive integer")
        }
        func double(_ key: String, in dict: [String: Any]? = nil, default value: Double) throws -> Double {
            let d = dict ?? c
            guard let any = d[key], !(any is NSNull) else { return value }
            guard let v = any as? Double, v.isFinite else {
                throw ModelError.invalidFile(path: path, reason: "\(key) is not a number")
            }
            return v
        }
        /// eos may be a list; the first is the one generation stops at by default.
        func tokenId(_ key: String) -> Int? {
            if let v = c[key] as? Int { return v }
            if let list = c[key] as? [Int] { return list.first }
            return nil
        }
        let type = c["model_type"] as? String ?? "?"
        switch type {
        case "llama":
            let d = try int("hidden_size"), heads = try int("num_attention_heads")
            let kvHeads = try int("num_key_value_heads", default: heads)
            guard d % heads == 0, heads % kvHeads == 0 else {
                throw ModelError.invalidFile(path: path, reason: "\(heads) heads, \(kvHeads) KV heads do not divide hidden_size \(d)")
            }
            if let hd = c["head_dim"] as? Int, hd != d / heads {
                throw ModelError.unsupported("\(path): head_dim \(hd) != hidden_size / heads")
            }
            if let scaling = c["rope_scaling"], !(scaling is NSNull) {
                throw ModelError.unsupported("\(path): rope_scaling \(scaling)")
            }
            for key in ["attention_bias", "mlp_bias"] where c[key] as? Bool == true {
                throw ModelError.unsupported("\(path): \(key)")
            }
            if let act = c["hidden_act"] as? String, act != "silu" {
                throw ModelError.unsupported("\(path): hidden_act \(act)")
            }
            // transformers >= 5 nests the rotary base in rope_parameters
            var theta = try double("rope_theta", default: 10000)
            if let params = c["rope_parameters"] as? [String: Any] {
                if let kind = params["rope_type"] as? String, kind != "default" {
                    throw ModelError.unsupported("\(path): rope_type \(kind)")
                }
                theta = try double("rope_theta", in: params, default: theta)
            }
            self.init(architecture: .llama, vocabSize: try int("vocab_size"), hiddenSize: d,
                      intermediateSize: try int("intermediate_size"), layerCount: try int("num_hidden_layers"),
                      headCount: heads, kvHeadCount: kvHeads,
                      contextLength: try int("max_position_embeddings", default: 2048),
                      ropeTheta: Float(theta), normEpsilon: Float(try double("rms_norm_eps", default: 1e-6)),
                      tiedEmbeddings: c["tie_word_embeddings"] as? Bool ?? false,
                      bosTokenId: tokenId("bos_token_id"), eosTokenId: tokenId("eos_token_id"))
        case "gpt2":
            let d = try int("n_embd"), heads = try int("n_head")
            guard d % heads == 0 else {
                throw ModelError.invalidFile(path: path, reason: "n_head \(heads) does not divide n_embd \(d)")
            }
            if let act = c["activation_function"] as? String, act != "gelu_new", act != "gelu_pytorch_tanh" {
                throw ModelError.unsupported("\(path): activation_function \(act) (supported: gelu_new)")
            }
            self.init(architecture: .gpt2, vocabSize: try int("vocab_size"), hiddenSize: d,
                      intermediateSize: try int("n_inner", default: 4 * d), layerCount: try int("n_layer"),
                      headCount: heads, kvHeadCount: heads, contextLength: try int("n_positions"),
                      normEpsilon: Float(try double("layer_norm_epsilon", default: 1e-5)),
                      tiedEmbeddings: c["tie_word_embeddings"] as? Bool ?? true,
                      bosTokenId: tokenId("bos_token_id"), eosTokenId: tokenId("eos_token_id"))
        default:
            throw ModelError.unsupported("\(path): model_type '\(type)' (supported: llama, gpt2)")
        }
    }
}

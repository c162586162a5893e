import Foundation

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
                throw ModelError.invalidFile(
                    path: path, reason: "\(heads) heads, \(kvHeads) KV heads do not divide hidden_size \(d)")
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
            self.init(
                architecture: .llama, vocabSize: try int("vocab_size"), hiddenSize: d,
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
            self.init(
                architecture: .gpt2, vocabSize: try int("vocab_size"), hiddenSize: d,
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

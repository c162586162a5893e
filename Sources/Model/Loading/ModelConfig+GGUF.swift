extension ModelConfig {
    /// The shape of the model described by a GGUF file's metadata (`llama.*` or `gpt2.*` keys).
    public init(gguf: GGUFFile) throws {
        let m = gguf.metadata
        let path = gguf.path
        guard let archName = m["general.architecture"]?.string else {
            throw ModelError.invalidFile(path: path, reason: "metadata general.architecture is missing")
        }
        guard let architecture = Architecture(rawValue: archName) else {
            throw ModelError.unsupported("\(path): architecture '\(archName)' (supported: llama, gpt2)")
        }
        func int(_ key: String) throws -> Int {
            guard let value = m["\(archName).\(key)"] else {
                throw ModelError.invalidFile(path: path, reason: "metadata \(archName).\(key) is missing")
            }
            guard let v = value.int, v > 0 else {
                throw ModelError.invalidFile(
                    path: path, reason: "metadata \(archName).\(key) is not a positive integer (\(value))")
            }
            return v
        }
        func float(_ key: String) throws -> Float? {
            guard let value = m["\(archName).\(key)"] else { return nil }
            guard let v = value.double, v.isFinite else {
                throw ModelError.invalidFile(path: path, reason: "metadata \(archName).\(key) is not a number")
            }
            return Float(v)
        }
        let d = try int("embedding_length")
        let heads = try int("attention.head_count")
        let kvHeads = m["\(archName).attention.head_count_kv"] == nil ? heads : try int("attention.head_count_kv")
        guard d % heads == 0, heads % kvHeads == 0 else {
            throw ModelError.invalidFile(
                path: path, reason: "\(heads) heads, \(kvHeads) KV heads do not divide width \(d)")
        }
        if m["\(archName).rope.dimension_count"] != nil {
            let rotary = try int("rope.dimension_count")
            guard rotary == d / heads else {
                throw ModelError.unsupported(
                    "\(path): partial rotary embeddings (\(rotary) of \(d / heads) dimensions)")
            }
        }
        if let scaling = m["\(archName).rope.scaling.type"]?.string, scaling != "none" {
            throw ModelError.unsupported("\(path): rope scaling '\(scaling)'")
        }
        let embedding = gguf.tensorInfo("token_embd.weight")
        let vocab: Int
        if m["\(archName).vocab_size"] != nil {
            vocab = try int("vocab_size")
        } else if let tokens = m["tokenizer.ggml.tokens"]?.array {
            vocab = tokens.count
        } else if let embedding, embedding.dimensions.count == 2 {
            vocab = embedding.dimensions[1]
        } else {
            throw ModelError.invalidFile(path: path, reason: "cannot tell the vocabulary size")
        }
        let epsKey = architecture.definition.ggufNormEpsilonKey
        self.init(
            architecture: architecture, vocabSize: vocab, hiddenSize: d,
            intermediateSize: try int("feed_forward_length"), layerCount: try int("block_count"),
            headCount: heads, kvHeadCount: kvHeads, contextLength: try int("context_length"),
            ropeTheta: try float("rope.freq_base") ?? 10000,
            normEpsilon: try float(epsKey) ?? 1e-5,
            tiedEmbeddings: gguf.tensorInfo("output.weight") == nil,
            bosTokenId: m["tokenizer.ggml.bos_token_id"]?.int,
            eosTokenId: m["tokenizer.ggml.eos_token_id"]?.int)
    }
}

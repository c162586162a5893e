import Foundation

/// Loads a model from a GGUF file or a Hugging Face folder (config.json, model.safetensors or
/// shards with model.safetensors.index.json, tokenizer.json).
public enum ModelLoader {
    public static func load(path: String) throws -> LoadedModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError.invalidFile(path: path, reason: "no such file or folder")
        }
        if isDirectory.boolValue { return try HuggingFaceFolder.load(path: path) }
        let gguf = try GGUFFile(path: path)
        let tokenizer = try Tokenizer(gguf: gguf)
        let weights = try ModelWeights(gguf: gguf)
        guard tokenizer.vocabSize <= weights.config.vocabSize else {
            throw ModelError.invalidFile(
                path: path, reason: "tokenizer has \(tokenizer.vocabSize) tokens, model \(weights.config.vocabSize)")
        }
        return LoadedModel(weights: weights, tokenizer: tokenizer)
    }

    /// Only the tokenizer of a GGUF file or a Hugging Face folder (no weights are read).
    public static func loadTokenizer(path: String) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError.invalidFile(path: path, reason: "no such file or folder")
        }
        if isDirectory.boolValue { return try HuggingFaceFolder.loadTokenizer(path: path) }
        return try Tokenizer(gguf: try GGUFFile(path: path))
    }
}

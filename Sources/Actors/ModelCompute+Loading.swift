import Data
import Model

extension ModelCompute {
    /// A GGUF file or Hugging Face folder with its tokenizer (Model's `ModelLoader`).
    static func loadModelFile(_ path: String, precision: Precision = .float32) throws -> RunnableModel {
        let loaded: LoadedModel
        do { loaded = try ModelLoader.load(path: path) } catch { throw ActorsError.module("loading \(path): \(error)") }
        let tok = loaded.tokenizer
        guard let eos = tok.eosTokenId ?? loaded.config.eosTokenId else {
            throw ActorsError.module("\(path): the tokenizer names no end-of-text token")
        }
        let functions = TokenizerFunctions(
            encode: { tok.encode($0, addSpecialTokens: false) }, eosID: eos,
            bosID: tok.bosTokenId, addsBOS: tok.addsBOS, padID: eos)
        var stops: Set<Int> = [eos]
        if let e = loaded.config.eosTokenId { stops.insert(e) }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return RunnableModel(
            decoder: Decoder(weights: loaded.weights, precision: precision), tokenizer: functions,
            decode: { tok.decode($0) }, stopTokens: stops, name: name)
    }
}

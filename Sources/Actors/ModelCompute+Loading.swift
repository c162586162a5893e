import Model

extension ModelCompute {
    /// A GGUF file or Hugging Face folder with its tokenizer.
    static func loadModelFile(_ path: String) throws -> RunnableModel {
        throw ActorsError.module("loading \(path): the model loader (ModelLoader, Tokenizer) is not merged yet")
    }
}

import ArgumentParser
import Foundation
import Model

/// `fedhds tokenize`: the token ids of a text under a model's tokenizer, as a JSON array.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text as a JSON array.",
        discussion: "Reads only the tokenizer of the model (GGUF metadata or the folder's tokenizer.json)."
    )

    @Option(name: .long, help: "A GGUF file or a Hugging Face model folder (default: $FEDHDS_MODEL).")
    var model: String?

    @Option(name: .long, help: "The text to tokenize.")
    var text: String

    @Flag(name: .long, help: "Leave out the tokens the model adds around a text (BOS/EOS).")
    var noSpecialTokens = false

    func run() throws {
        guard let path = model ?? ProcessInfo.processInfo.environment["FEDHDS_MODEL"] else {
            throw ValidationError("give --model PATH (or set FEDHDS_MODEL)")
        }
        let tokenizer = try ModelLoader.loadTokenizer(path: path)
        let ids = tokenizer.encode(text, addSpecialTokens: !noSpecialTokens)
        print("[" + ids.map(String.init).joined(separator: ", ") + "]")
    }
}

import ArgumentParser
import Foundation
import Model

/// `fedhds tokenize`: the token ids of a text under a model's tokenizer, as a JSON array.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text as a JSON array.",
        discussion: """
            Reads only the tokenizer of the model (GGUF metadata or the folder's tokenizer.json). \
            With --file, tokenizes every line of a file instead and prints counts and timings as JSON \
            (used by bench/model-load.sh); --load-weights also times loading the whole model.
            """
    )

    @Option(name: .long, help: "A GGUF file or a Hugging Face model folder (default: $FEDHDS_MODEL).")
    var model: String?

    @Option(name: .long, help: "The text to tokenize.")
    var text: String?

    @Option(name: .long, help: "Tokenize every line of this file and print counts and timings as JSON.")
    var file: String?

    @Flag(name: .long, help: "With --file: also time loading the whole model (weights and tokenizer).")
    var loadWeights = false

    @Flag(name: .long, help: "Leave out the tokens the model adds around a text (BOS/EOS).")
    var noSpecialTokens = false

    func validate() throws {
        guard (text == nil) != (file == nil) else { throw ValidationError("give exactly one of --text and --file") }
    }

    func run() throws {
        guard let path = model ?? ProcessInfo.processInfo.environment["FEDHDS_MODEL"] else {
            throw ValidationError("give --model PATH (or set FEDHDS_MODEL)")
        }
        var clock = Date()
        let tokenizer = try ModelLoader.loadTokenizer(path: path)
        let tokenizerSeconds = Date().timeIntervalSince(clock)
        if let text {
            let ids = tokenizer.encode(text, addSpecialTokens: !noSpecialTokens)
            print("[" + ids.map(String.init).joined(separator: ", ") + "]")
            return
        }
        guard let file, let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ValidationError("cannot read \(file ?? "")")
        }
        let lines = contents.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        clock = Date()
        var encoded: [[Int]] = []
        encoded.reserveCapacity(lines.count)
        for line in lines { encoded.append(tokenizer.encode(line, addSpecialTokens: !noSpecialTokens)) }
        let tokenizeSeconds = Date().timeIntervalSince(clock)
        // FNV-1a over every id and line end, so another implementation can compare all ids
        var checksum: UInt64 = 0xCBF2_9CE4_8422_2325
        for ids in encoded {
            for id in ids + [-1] { checksum = (checksum ^ UInt64(bitPattern: Int64(id))) &* 0x100_0000_01B3 }
        }
        var report: [String: Any] = [
            "lines": lines.count, "tokens": encoded.reduce(0) { $0 + $1.count },
            "tokenize_seconds": tokenizeSeconds, "tokenizer_load_seconds": tokenizerSeconds,
            "ids_checksum": String(checksum, radix: 16)
        ]
        if loadWeights {
            clock = Date()
            let loaded = try ModelLoader.load(path: path)
            report["model_load_seconds"] = Date().timeIntervalSince(clock)
            report["parameters"] = loaded.weights.layers.reduce(loaded.weights.tokenEmbedding.count) { sum, layer in
                sum + layer.projections.values.reduce(0) { $0 + $1.weight.count }
            }
        }
        let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}

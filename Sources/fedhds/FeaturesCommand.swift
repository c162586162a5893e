import ArgumentParser
import Data
import Foundation
import Model

/// `fedhds features`: the FedHDS feature matrix of a JSONL file of samples.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Write the fused hidden-state features of samples as a float32 .npy matrix.",
        discussion: """
            Each JSONL record (instruction, context or input, response or output) is formatted with the \
            Alpaca prompt of Dolly plus its response and EOS, tokenized and truncated to --max-length \
            tokens. The row of a sample is the last token's hidden state of every slot (embedding \
            output, each layer, the last after the final norm): (L+1)*d float32 values.
            """)

    @Option(name: .long, help: "A GGUF file or a Hugging Face model folder (default: $FEDHDS_MODEL).")
    var model: String?

    @Option(name: .long, help: "JSONL samples.")
    var input: String

    @Option(name: .long, help: "Output .npy file ([n, (L+1)*d] float32).")
    var out: String

    @Option(name: .long, help: "Truncate every sample to this many tokens.")
    var maxLength = PromptTokenizer.defaultMaxLength

    @Option(name: .long, help: "Tokens per forward pass (several samples are packed into one pass).")
    var batchTokens = 4096

    @Option(
        name: .long,
        help:
            "Arithmetic of the weight products: bf16 (default; bfloat16 with float32 sums on AMX or AVX512-BF16, fp32 where the CPU has neither), or fp32."
    )
    var precision: Precision = .bfloat16

    @Flag(name: .long, help: "Print timing and peak memory as JSON on stderr.")
    var timing = false

    func run() throws {
        guard let path = model ?? ProcessInfo.processInfo.environment["FEDHDS_MODEL"] else {
            throw ValidationError("give --model PATH (or set FEDHDS_MODEL)")
        }
        let t0 = Date()
        let loaded = try ModelLoader.load(path: path)
        let decoder = CommandPrecision.decoder(loaded.weights, precision: precision)
        let loadSeconds = Date().timeIntervalSince(t0)
        let samples = try JSONLLoader.load(path: input, fields: Self.fields(of: input)).samples
        let functions = try CommandTokenizer.functions(loaded.tokenizer, config: loaded.weights.config)
        let sequences = try samples.map {
            try PromptTokenizer.training(sample: $0, template: .dolly, tokenizer: functions, maxLength: maxLength)
                .inputIDs
        }
        let t1 = Date()
        let features = try decoder.lastTokenFeatures(sequences, maxTokensPerPass: batchTokens)
        let seconds = Date().timeIntervalSince(t1)
        try NPYFile.write(
            rows: features.count, cols: loaded.weights.config.featureWidth, floats: features.flatMap { $0 },
            to: URL(fileURLWithPath: out))
        if timing {
            let tokens = sequences.map(\.count).reduce(0, +)
            CommandTiming.report([
                "samples": Double(samples.count), "tokens": Double(tokens), "seconds": seconds,
                "tokens_per_second": Double(tokens) / seconds, "load_seconds": loadSeconds,
                "bf16": decoder.effectivePrecision == .bfloat16 ? 1 : 0
            ])
        }
    }

    /// The keys of instruction records, in either naming record by record (instruction, input or
    /// context, output or response): one reader for `train`, `features` and `generate --input`.
    static func fields(of path: String) throws -> JSONLFields { .instructionTuning }
}

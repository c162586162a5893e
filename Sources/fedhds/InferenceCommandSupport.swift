import ArgumentParser
import Data
import Foundation
import Model

/// The model's tokenizer as the `TokenizerFunctions` Data's prompt tokenizer takes.
enum CommandTokenizer {
    static func functions(_ tokenizer: Tokenizer, config: ModelConfig) throws -> TokenizerFunctions {
        guard let eos = tokenizer.eosTokenId ?? config.eosTokenId else {
            throw ValidationError("the model's tokenizer has no EOS token")
        }
        return TokenizerFunctions(
            encode: { tokenizer.encode($0, addSpecialTokens: false) }, eosID: eos,
            bosID: tokenizer.bosTokenId, addsBOS: tokenizer.addsBOS, padID: nil)
    }
}

/// Timing lines of the commands (`--timing`), read by bench/model-inference.sh.
enum CommandTiming {
    /// Peak resident memory of this process in MB.
    static func peakResidentMB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    static func report(_ values: [String: Double]) {
        var all = values
        all["peak_rss_mb"] = peakResidentMB()
        let body = all.keys.sorted().map { "\"\($0)\": \(all[$0]!)" }.joined(separator: ", ")
        FileHandle.standardError.write(Data(("{" + body + "}\n").utf8))
    }
}

extension Precision: ExpressibleByArgument {}

/// `--precision` of the inference commands: builds the decoder and says on stderr which
/// precision and kernels actually run (bfloat16 asked for on a CPU with neither AMX-BF16 nor
/// AVX512-BF16 runs float32).
enum CommandPrecision {
    static func decoder(_ weights: ModelWeights, precision: Precision) -> Decoder {
        let decoder = Decoder(weights: weights, precision: precision)
        announce(requested: precision, running: decoder.effectivePrecision, path: decoder.kernelPath)
        return decoder
    }

    /// The one stderr line every command prints before its work: what precision runs on which kernels.
    static func line(requested: Precision, running: Precision, path: String) -> String {
        switch (requested, running) {
        case (.bfloat16, .bfloat16): "precision: bf16 on \(path) (bfloat16 products, float32 sums)"
        case (.bfloat16, _): "precision: fp32 (bf16 requested, but this CPU has neither AMX-BF16 nor AVX512-BF16)"
        default: "precision: fp32"
        }
    }

    static func announce(requested: Precision, running: Precision, path: String) {
        FileHandle.standardError.write(Data((line(requested: requested, running: running, path: path) + "\n").utf8))
    }

    /// The line for `run` and `cluster`, before the model loads (what `Precision.effective` will run).
    static func announce(_ requested: Precision) {
        announce(requested: requested, running: requested.effective, path: requested.kernelPath)
    }
}

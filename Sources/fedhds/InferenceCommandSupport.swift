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
        return TokenizerFunctions(encode: { tokenizer.encode($0, addSpecialTokens: false) }, eosID: eos,
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
/// precision actually runs (bfloat16 asked for on a CPU without AMX-BF16 runs float32).
enum CommandPrecision {
    static func decoder(_ weights: ModelWeights, precision: Precision) -> Decoder {
        let decoder = Decoder(weights: weights, precision: precision)
        let line: String
        switch (precision, decoder.effectivePrecision) {
        case (.bfloat16, .bfloat16): line = "precision: bf16 (bfloat16 products on AMX, float32 sums)"
        case (.bfloat16, _): line = "precision: fp32 (bf16 requested, but this CPU has no AMX-BF16: fell back to float32)"
        default: line = "precision: fp32"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
        return decoder
    }
}

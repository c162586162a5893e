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

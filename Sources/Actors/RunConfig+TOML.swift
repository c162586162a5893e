import Foundation
import Model
import Selection
import TOMLKit

/// One settable key of the configuration: its dotted TOML name, how to read it and how to write
/// it back. `RunConfig.fields` is the single list that parsing, validation and rendering share.
public struct ConfigField: Sendable {
    public let key: String
    public let help: String
    let read: @Sendable (inout RunConfig, TOMLValueConvertible) throws -> Void
    let render: @Sendable (RunConfig) -> String
}

extension ConfigField {
    static func bad(_ key: String, _ what: String) -> ActorsError {
        .invalidConfiguration("`\(key)`: \(what)")
    }

    static func int(
        _ key: String, _ path: WritableKeyPath<RunConfig, Int> & Sendable, _ range: ClosedRange<Int>,
        _ help: String
    ) -> ConfigField {
        ConfigField(
            key: key, help: help,
            read: { c, v in
                guard let x = v.int else { throw bad(key, "expected an integer, got \(v.debugDescription)") }
                guard range.contains(x) else {
                    throw bad(key, "\(x) is outside \(range.lowerBound)...\(range.upperBound)")
                }
                c[keyPath: path] = x
            }, render: { "\($0[keyPath: path])" })
    }

    static func seed(_ key: String, _ path: WritableKeyPath<RunConfig, UInt64> & Sendable, _ help: String)
        -> ConfigField
    {
        ConfigField(
            key: key, help: help,
            read: { c, v in
                guard let x = v.int, x >= 0 else {
                    throw bad(key, "expected a non-negative integer, got \(v.debugDescription)")
                }
                c[keyPath: path] = UInt64(x)
            }, render: { "\($0[keyPath: path])" })
    }

    static func double(
        _ key: String, _ path: WritableKeyPath<RunConfig, Double> & Sendable, _ range: ClosedRange<Double>,
        _ help: String
    ) -> ConfigField {
        ConfigField(
            key: key, help: help,
            read: { c, v in
                guard let x = v.double ?? v.int.map(Double.init) else {
                    throw bad(key, "expected a number, got \(v.debugDescription)")
                }
                guard x.isFinite, range.contains(x) else {
                    throw bad(key, "\(x) is outside \(range.lowerBound)...\(range.upperBound)")
                }
                c[keyPath: path] = x
            }, render: { "\($0[keyPath: path])" })
    }

    static func bool(_ key: String, _ path: WritableKeyPath<RunConfig, Bool> & Sendable, _ help: String) -> ConfigField
    {
        ConfigField(
            key: key, help: help,
            read: { c, v in
                guard let x = v.bool else { throw bad(key, "expected true or false, got \(v.debugDescription)") }
                c[keyPath: path] = x
            }, render: { "\($0[keyPath: path])" })
    }

    static func string(_ key: String, _ path: WritableKeyPath<RunConfig, String> & Sendable, _ help: String)
        -> ConfigField
    {
        ConfigField(
            key: key, help: help,
            read: { c, v in
                guard let x = v.string else { throw bad(key, "expected a string, got \(v.debugDescription)") }
                c[keyPath: path] = x
            }, render: { quote($0[keyPath: path]) })
    }

    static func choice<E: RawRepresentable & CaseIterable & Sendable>(
        _ key: String, _ path: WritableKeyPath<RunConfig, E> & Sendable, _ help: String
    ) -> ConfigField where E.RawValue == String {
        ConfigField(
            key: key, help: help,
            read: { c, v in
                let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
                guard let s = v.string else { throw bad(key, "expected one of \(allowed), got \(v.debugDescription)") }
                guard let x = E(rawValue: s) else {
                    throw bad(key, "unknown value \"\(s)\"; expected one of \(allowed)")
                }
                c[keyPath: path] = x
            }, render: { quote($0[keyPath: path].rawValue) })
    }

    static func ints(_ key: String, _ path: WritableKeyPath<RunConfig, [Int]> & Sendable, _ help: String) -> ConfigField
    {
        ConfigField(
            key: key, help: help,
            read: { c, v in
                guard let a = v.array else {
                    throw bad(key, "expected an array of integers, got \(v.debugDescription)")
                }
                var out: [Int] = []
                for e in a {
                    guard let x = e.int, x >= 1 else {
                        throw bad(key, "expected positive integers, got \(e.debugDescription)")
                    }
                    out.append(x)
                }
                c[keyPath: path] = out
            }, render: { "[" + $0[keyPath: path].map(String.init).joined(separator: ", ") + "]" })
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }
}

extension RunConfig {
    /// Every key a configuration file may hold, in the order `renderTOML` writes them.
    public static let fields: [ConfigField] = [
        .string("name", \.name, "name of the run"),
        .choice("method", \.method, "method of docs/ALGORITHM.md's table"),
        .seed("seed", \.seed, "run seed: every random draw derives from it"),
        .int("rounds", \.rounds, 1...100_000, "communication rounds"),
        .choice(
            "precision", \.precision,
            "bf16 (default: bfloat16 weight products, float32 sums, on AMX or AVX512-BF16; fp32 where the CPU has neither) or fp32"
        ),
        .choice("data.dataset", \.dataset, "dolly or ni"),
        .string("data.path", \.dataPath, "Dolly jsonl file or Natural Instructions folder"),
        .int("data.clients", \.clients, 1...1_000_000, "number of clients N"),
        .double("data.alpha", \.alpha, 1e-6...1e6, "Dirichlet concentration of the label partition"),
        .int("data.heldout_category", \.heldoutCategory, 0...1000, "held-out category code (Dolly 7 = summarization)"),
        .int("data.max_length", \.maxLength, 8...1_000_000, "truncation of prompt + response, tokens"),
        .int("data.max_samples_per_client", \.maxSamplesPerClient, 0...1_000_000, "cap per client, 0 = all"),
        .int(
            "data.validation_samples", \.validationSamples, 1...1_000_000,
            "size of the validation split (eval.split = \"validation\")"),
        .choice(
            "model.kind", \.modelKind,
            "pretrained (the model at model.path / --model; required) or tiny (the built-in random model below)"),
        .string(
            "model.path", \.modelPath,
            "GGUF file or Hugging Face folder (model.kind = \"pretrained\"); --model sets it"),
        .string("model.proxy_path", \.proxyPath, "feature model of -Turbo methods; empty = the base model, frozen"),
        .int(
            "model.proxy_layers", \.proxyLayers, 0...10_000,
            "-Turbo feature model = the first K layers of the proxy (slots 0...K); 0 = all"),
        .int("model.tiny_layers", \.tinyLayers, 1...64, "tiny model: layers"),
        .int("model.tiny_hidden", \.tinyHidden, 8...4096, "tiny model: width"),
        .int("model.tiny_heads", \.tinyHeads, 1...64, "tiny model: attention heads"),
        .int("model.tiny_kv_heads", \.tinyKVHeads, 1...64, "tiny model: key/value heads"),
        .int("model.tiny_ffn", \.tinyFFN, 8...16384, "tiny model: FFN width"),
        .int("model.tiny_context", \.tinyContext, 16...100_000, "tiny model: context length"),
        .int("lora.rank", \.loraRank, 1...1024, "LoRA rank r"),
        .double("lora.alpha", \.loraAlpha, 1e-6...1e6, "LoRA alpha"),
        .double("lora.dropout", \.loraDropout, 0...0.99, "LoRA dropout"),
        .double("train.learning_rate", \.learningRate, 0...10, "0 = dataset default (3e-5 Dolly, 3e-4 NI)"),
        .int("train.epochs", \.epochs, 1...1000, "local epochs over the chosen data"),
        .int("train.batch_size", \.batchSize, 1...1024, "local batch size"),
        .bool("train.equal_weight", \.equalWeight, "FedAvg with equal weights"),
        .int("selection.min_cluster_size", \.minClusterSize, 0...100_000, "client HDBSCAN; 0 = 2 Dolly / 5 NI"),
        .int("selection.server_min_cluster_size", \.serverMinClusterSize, 2...100_000, "server HDBSCAN over centroids"),
        .choice(
            "selection.mode", \.selectionMode,
            "paper (Eq. 10), or the reference code's defects: reference-pairing, reference-shuffle, reference-both"),
        .double("selection.ratio", \.ratio, 1e-6...1, "data fraction of Random, Perplexity, Coreset-Cent"),
        .choice(
            "selection.ratio_rounding", \.ratioRounding,
            "Random/Perplexity count: stochastic (ratio over the federation) or floor-min1 (max(1, floor(n*ratio)))"),
        .int(
            "selection.kmeans_clusters", \.kmeansClusters, 1...100_000,
            "k of Coreset-Cent's one k-means over all clients' features"),
        .double("selection.tsne_perplexity", \.tsnePerplexity, 1...1000, "t-SNE perplexity cap (min with n - 1)"),
        .int("selection.tsne_iterations", \.tsneIterations, 250...100_000, "t-SNE iterations"),
        .double("federation.participation", \.participation, 1e-9...1, "participation rate k"),
        .bool("federation.upfront_sampling", \.upfrontSampling, "draw all rounds' participants up front (reference)"),
        .double("privacy.epsilon", \.dpEpsilon, 0...1e9, "DP epsilon on centroids; 0 = off"),
        .double("privacy.delta", \.dpDelta, 1e-30...0.999, "DP delta"),
        .ints("eval.rounds", \.evalRounds, "rounds after which to evaluate (the last always is)"),
        .bool("eval.before", \.evalBefore, "evaluate the untuned model first"),
        .int("eval.max_new_tokens", \.maxNewTokens, 1...100_000, "greedy decoding length"),
        .int(
            "eval.max_prompt_length", \.evalMaxPromptLength, 8...1_000_000, "held-out prompts cut to this many tokens"),
        .int("eval.samples", \.evalSamples, 0...1_000_000, "held-out samples, 0 = all"),
        .int("eval.batch_size", \.evalBatchSize, 1...1024, "sequences decoded together"),
        .choice(
            "eval.split", \.evalSplit, "test (the held-out category) or validation (drawn from the training categories)"
        ),
        .bool("eval.test_loss", \.testLoss, "test loss on held-out samples every round"),
        .choice("transport.kind", \.transport, "in-process or zeromq"),
        .double(
            "transport.feature_deadline", \.featureDeadline, 0.001...1e7, "seconds for the features/centroids phase"),
        .double("transport.train_deadline", \.trainDeadline, 0.001...1e7, "seconds for the training phase"),
        .double("transport.eval_deadline", \.evalDeadline, 0.001...1e7, "seconds for an evaluation"),
        .int("transport.min_responses", \.minResponses, 1...1_000_000, "answers a phase waits for at least"),
        .double(
            "transport.rejoin_grace", \.rejoinGrace, 0...1e6,
            "seconds a round waits for a lost worker to register again"),
        .string("transport.curve_keys", \.curveKeys, "folder of CURVE keys; empty = no CURVE"),
        .choice("clock.kind", \.clockKind, "wall (deadlines in host seconds) or simulated (the simulated clock)"),
        .choice("clock.devices", \.clockDevices, "simulated devices: uniform, synthetic (seeded), trace"),
        .string("clock.trace", \.clockTrace, "device trace (JSON Lines) when clock.devices = \"trace\""),
        .double("clock.over_selection", \.overSelection, 1...10, "f: invite ceil(K x f), aggregate the first K"),
        .double("clock.feature_deadline", \.simulatedFeatureDeadline, 0...1e9, "simulated s, features phase; 0 = none"),
        .double("clock.train_deadline", \.simulatedTrainDeadline, 0...1e9, "simulated s, training phase; 0 = none")
    ]

    /// Old key names still read (never written): `selection.reference_defect = true` adds the
    /// pairing defect to `selection.mode` (false removes it).
    public static let aliases: [ConfigField] = [
        ConfigField(
            key: "selection.reference_defect", help: "old name; true = selection.mode \"reference-pairing\"",
            read: { c, v in
                guard let x = v.bool else {
                    throw ConfigField.bad(
                        "selection.reference_defect", "expected true or false, got \(v.debugDescription)")
                }
                c.selectionMode = SelectionMode(pairingDefect: x, shuffleDefect: c.selectionMode.shuffleDefect)
            }, render: { $0.selectionMode.pairingDefect ? "true" : "false" })
    ]

    /// Reads a configuration: defaults, overridden by the document's keys. Unknown keys, wrong
    /// types and values out of range throw `ActorsError.invalidConfiguration` naming the key.
    public static func parse(toml text: String) throws -> RunConfig {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw ActorsError.invalidConfiguration("TOML syntax: \(e.description) (\(e.source.debugDescription))")
        }
        var config = RunConfig()
        let byKey = Dictionary(uniqueKeysWithValues: (fields + aliases).map { ($0.key, $0) })
        func walk(_ t: TOMLTable, prefix: String) throws {
            for key in t.keys.sorted() {
                guard let value = t[key] else { continue }
                let full = prefix.isEmpty ? key : prefix + "." + key
                if let field = byKey[full] {
                    try field.read(&config, value)
                } else if value.type == .table, let sub = value.table,
                    fields.contains(where: { $0.key.hasPrefix(full + ".") })
                {
                    try walk(sub, prefix: full)
                } else {
                    let near = fields.map(\.key).filter { $0.hasSuffix("." + key) || $0 == key }
                    let hint = near.isEmpty ? "" : " (did you mean \(near.joined(separator: " or "))?)"
                    throw ActorsError.invalidConfiguration("unknown key `\(full)`\(hint)")
                }
            }
        }
        try walk(table, prefix: "")
        try config.validate()
        return config
    }

    /// Reads a configuration file.
    public static func load(path: String) throws -> RunConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ActorsError.invalidConfiguration("cannot read configuration file \(path)")
        }
        return try parse(toml: text)
    }

    /// Cross-key checks.
    public func validate() throws {
        if tinyHidden % tinyHeads != 0 {
            throw ActorsError.invalidConfiguration(
                "`model.tiny_hidden` (\(tinyHidden)) must be a multiple of `model.tiny_heads` (\(tinyHeads))")
        }
        if tinyHeads % tinyKVHeads != 0 {
            throw ActorsError.invalidConfiguration(
                "`model.tiny_heads` (\(tinyHeads)) must be a multiple of `model.tiny_kv_heads` (\(tinyKVHeads))")
        }
        if (tinyHidden / tinyHeads) % 2 != 0 {
            throw ActorsError.invalidConfiguration(
                "`model.tiny_hidden` / `model.tiny_heads` must be even (rotary pairs)")
        }
        if modelKind == .tiny, !modelPath.isEmpty {
            throw ActorsError.invalidConfiguration(
                "`model.kind` is \"tiny\" but `model.path` names \(modelPath): "
                    + "set model.kind = \"pretrained\" to run that model, or empty model.path")
        }
        if evalSplit == .validation, dataset != .dolly {
            throw ActorsError.invalidConfiguration(
                "`eval.split` = \"validation\" is implemented for data.dataset = \"dolly\" only")
        }
        // The name is the default output folder runs/<name>: it must stay inside it.
        if name.isEmpty || name == "." || name == ".." || name.contains("/") || name.contains("\0") {
            throw ActorsError.invalidConfiguration(
                "`name` \"\(name)\" must be a plain folder name (no \"/\", not \".\" or \"..\")")
        }
        if minResponses > participantsPerRound {
            throw ActorsError.invalidConfiguration(
                "`transport.min_responses` (\(minResponses)) is larger than the \(participantsPerRound) participants a round: no round could train"
            )
        }
        if let bad = evalRounds.first(where: { $0 > rounds }) {
            throw ActorsError.invalidConfiguration("`eval.rounds` holds \(bad), after the last round (\(rounds))")
        }
        try validateClock()
    }

    /// Applies one command-line override `KEY=VALUE` (e.g. `data.alpha=5.0`, `method=fedit`,
    /// `eval.rounds=[1,2]`): VALUE is read as a TOML value, or as a string when it is not one.
    /// Throws naming the key when it is unknown or the value does not fit it (then nothing changed).
    public mutating func set(_ assignment: String) throws {
        guard let eq = assignment.firstIndex(of: "=") else {
            throw ActorsError.invalidConfiguration("override \"\(assignment)\": expected KEY=VALUE")
        }
        let key = assignment[..<eq].trimmingCharacters(in: .whitespaces)
        let text = assignment[assignment.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        guard let field = (RunConfig.fields + RunConfig.aliases).first(where: { $0.key == key }) else {
            let near = RunConfig.fields.map(\.key).filter { $0.hasSuffix("." + key) }
            let hint = near.isEmpty ? "" : " (did you mean \(near.joined(separator: " or "))?)"
            throw ActorsError.invalidConfiguration("unknown key `\(key)`\(hint)")
        }
        let table =
            (try? TOMLTable(string: "v = " + text)) ?? (try? TOMLTable(string: "v = " + ConfigField.quote(text)))
        guard let value = table?["v"] else {
            throw ActorsError.invalidConfiguration("`\(key)`: cannot read the value \(text)")
        }
        try field.read(&self, value)  // cross-key checks are the caller's `validate()`, after all overrides
    }

    /// The complete effective configuration as TOML (every key, defaults included); parsing it
    /// gives back an equal configuration.
    public func renderTOML() -> String {
        var out = "# effective configuration of run \"\(name)\" (every key; defaults included)\n"
        var section = ""
        for f in RunConfig.fields {
            let parts = f.key.split(separator: ".", maxSplits: 1).map(String.init)
            let (sec, k) = parts.count == 2 ? (parts[0], parts[1]) : ("", parts[0])
            if sec != section { out += "\n[\(sec)]\n"; section = sec }
            out += "\(k) = \(f.render(self))  # \(f.help)\n"
        }
        return out
    }
}

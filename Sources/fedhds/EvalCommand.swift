import Actors
import ArgumentParser
import Foundation

/// `fedhds eval`: the configuration's evaluation alone, with the base model or an adapter.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate the base model (untuned) or a LoRA adapter on a configuration's held-out set.",
        discussion: """
            Scores what a run's evaluation scores (eval.split, eval.samples, eval.max_new_tokens, \
            greedy decoding) and writes predictions.jsonl (one line per sample: id, category, \
            prediction, reference, rouge_l), result.json (Rouge-L, n, provenance) and config.toml \
            into --out (default runs/<name>-eval). Without --adapter the untuned model is scored \
            (the run's round-0 evaluation); --adapter takes a PEFT LoRA folder (a run's adapter/) \
            whose rank, alpha and targets must match the configuration's lora keys.
            """)

    @OptionGroup var options: ConfigOptions

    @Option(help: "PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors), e.g. runs/demo/adapter.")
    var adapter: String?

    func run() async throws {
        var c = try options.load()
        let out = options.out ?? "runs/\(c.name)-eval"
        if c.name.isEmpty { c.name = "eval" }
        let provenance = Provenance.start(config: c)
        Console.line(
            "eval \(c.name): model \(provenance.model), precision \(provenance.precision)"
                + (provenance.precision != provenance.precisionRequested
                    ? " (\(provenance.precisionRequested) requested; no AMX-BF16 here)" : "")
                + ", \(c.evalSplit.rawValue) split, \(adapter.map { "adapter \($0)" } ?? "untuned") -> \(out)")
        let clock = Date()
        let compute = try await ModelCompute.make(config: c, configPath: options.config)
        let parameters = try adapter.map { try compute.loadAdapter(directory: $0) } ?? compute.initialAdapter()
        let output = try RunOutput(folder: out)
        try output.writeConfig(c, ran: provenance)
        let n = compute.evaluationSamples.count
        Console.line("evaluating \(n) samples, \(c.maxNewTokens) new tokens each, \(c.evalBatchSize) decoded together")
        let outcome = try await compute.evaluateWithPredictions(adapter: parameters)
        try PredictionsFile.write(outcome.predictions, to: output.predictionsURL(round: 0, final: true))
        let seconds = Date().timeIntervalSince(clock)
        let result = RunResult.evaluation(
            name: c.name, method: adapter == nil ? "untuned" : "adapter", rougeL: outcome.score,
            evaluated: outcome.predictions.count, seconds: seconds,
            evaluations: adapter == nil ? ["0": outcome.score] : [:],
            adapterPath: adapter ?? "", adapterSHA: adapter == nil ? "" : AdapterDigest.hex(parameters),
            provenance: provenance.finished(since: clock))
        try output.writeResult(result)
        print(
            "Rouge-L: \(String(format: "%.4f", outcome.score)) over \(outcome.predictions.count) \(c.evalSplit.rawValue) samples"
        )
        print("predictions: \(output.predictionsURL(round: 0, final: true).path)")
        print("result: \(output.resultURL.path)")
    }
}

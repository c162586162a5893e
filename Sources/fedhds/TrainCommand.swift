import Actors
import ArgumentParser
import Data
import Foundation
import Model

/// `fedhds train`: local LoRA instruction tuning of one JSONL dataset, printing the loss per
/// step and saving a PEFT-compatible adapter (loadable by `fedhds generate --adapter DIR` and by
/// Python's PEFT on the same base model).
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Tune a LoRA adapter on a JSONL dataset (instruction, optional input/context, output/response).")

    @Option(help: "Model: a GGUF file or a Hugging Face folder.") var model: String
    @Option(help: "JSONL samples: instruction, optional input or context, output or response.") var data: String
    @Option(parsing: .unconditional, help: "Passes over the data.") var epochs: Int = 1
    @Option(help: "Learning rate.") var lr: Float = 3e-4
    @Option(help: "Folder for adapter_model.safetensors and adapter_config.json.") var out: String
    @Option(
        help:
            "Start from this PEFT LoRA adapter folder (its r, lora_alpha and targets must match --rank and --alpha) instead of a fresh initialisation."
    )
    var initAdapter: String?
    @Option(parsing: .unconditional, help: "Samples per step (padded batch).") var batchSize: Int = 1
    @Option(help: "Optimizer: adam or sgd.") var optimizer: String = "adam"
    @Option(parsing: .unconditional, help: "LoRA rank.") var rank: Int = 8
    @Option(help: "LoRA alpha.") var alpha: Float = 16
    @Option(help: "LoRA dropout.") var dropout: Float = 0.05
    @Option(parsing: .unconditional, help: "Truncate samples to this many tokens.") var maxLength: Int = 1024
    @Option(parsing: .unconditional, help: "Use only the first N samples.") var limit: Int?
    @Option(help: "Clip the gradient norm to this value.") var maxGradNorm: Float?
    @Option(help: "Seed of initialisation, shuffling and dropout.") var seed: UInt64 = 42
    @Option(
        help:
            "Frozen weights' products: bf16 (default; bfloat16 with float32 sums on AMX or AVX512-BF16; LoRA, attention, norms, loss and optimizer stay fp32; fp32 where the CPU has neither), or fp32."
    )
    var precision: String = "bf16"

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard maxLength >= 2 else {
            throw ValidationError(
                "--max-length must be at least 2 (a prompt token and a response token), got \(maxLength)")
        }
        guard limit.map({ $0 >= 1 }) ?? true else { throw ValidationError("--limit must be at least 1") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be positive") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard rank >= 1 else { throw ValidationError("--rank must be at least 1") }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1)") }
        guard ["adam", "sgd"].contains(optimizer) else { throw ValidationError("--optimizer must be adam or sgd") }
        guard Precision(rawValue: precision) != nil else {
            throw ValidationError("--precision must be fp32 or bf16, got \(precision)")
        }
    }

    func run() throws {
        // Where the adapter goes is checked before any work: a file there, or a folder that cannot be made.
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isFolder), !isFolder.boolValue {
            throw ValidationError("--out \(out) is a file; the adapter is written into a folder")
        }
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw ValidationError("--out: cannot create the folder \(out): \(error.localizedDescription)")
        }
        let loaded = try ModelLoader.load(path: model)
        let config = loaded.weights.config
        guard let eos = config.eosTokenId else { throw ValidationError("the model declares no EOS token") }
        var samples = try InstructionSample.readJSONL(path: data)
        if let limit { samples = Array(samples.prefix(limit)) }
        let examples = samples.map { s in
            TrainingExample(
                prompt: loaded.tokenizer.encode(s.prompt, addSpecialTokens: true),
                response: loaded.tokenizer.encode(s.response, addSpecialTokens: false) + [eos])
        }
        var opt = OptimizerConfig(kind: optimizer == "sgd" ? .sgd : .adam, learningRate: lr)
        opt.maxGradNorm = maxGradNorm
        let lora = LoRAConfig(
            rank: rank, alpha: alpha, dropout: dropout, targets: Projection.all(for: config.architecture))
        let requested = Precision(rawValue: precision) ?? .float32
        let packStart = Date()
        let trainer = LoRATrainer(
            weights: loaded.weights, lora: lora, optimizer: opt, maxLength: maxLength, precision: requested)
        trainer.runtime.prepareForTraining()  // bf16: OpenBLAS on one thread (see ModelRuntime)
        Self.announce(
            requested: requested, running: trainer.effectivePrecision, path: trainer.kernelPath,
            seconds: Date().timeIntervalSince(packStart))
        var rng = SeededGenerator(state: seed)
        var adapter = trainer.makeAdapter(using: &rng)  // drawn even when replaced, so shuffling and dropout stay the same
        if let initAdapter {
            adapter.parameters = try Self.initialParameters(initAdapter, like: adapter, model: config)
        }
        let usable = examples.filter { $0.truncated(to: maxLength).targetCount > 0 }.count
        guard usable > 0 else {
            throw ValidationError("nothing to train: no sample keeps a response token within --max-length \(maxLength)")
        }
        let stepsPerEpoch = (usable + batchSize - 1) / batchSize
        print(
            "train: \(examples.count) samples, \(epochs) epoch(s), \(stepsPerEpoch) steps per epoch, "
                + "LoRA r \(rank) alpha \(alpha) dropout \(dropout), \(adapter.parameters.count) trainable parameters")
        let start = Date()
        var stepStart = start
        let report = try trainer.train(
            examples: examples, epochs: epochs, adapter: &adapter, batchSize: batchSize,
            shuffle: true, using: &rng
        ) { s in
            let note = s.skipped ? "  SKIPPED (non-finite loss or gradient)" : ""
            let now = Date()
            print(
                String(
                    format: "step %d/%d  loss %.4f  tokens %d%@  %.3f s", s.step + 1, stepsPerEpoch * epochs, s.loss,
                    s.tokens, note, now.timeIntervalSince(stepStart)))
            stepStart = now
        }
        for s in report.skippedExamples { print("skipped sample \(s.index + 1): \(s.reason)") }
        try adapter.savePEFT(directory: out, model: config, baseModel: PEFTBaseModel.name(forModel: model))
        let seconds = Date().timeIntervalSince(start)
        print(
            String(
                format: "done: mean loss %.4f, %d tokens in %.1f s (%.0f tokens/s); adapter saved to %@",
                report.meanLoss, report.tokens, seconds, Double(report.tokens) / max(seconds, 1e-9), out))
    }
}

extension TrainCommand {
    /// The parameters of a PEFT adapter folder laid out as `like` (same rank, alpha and targets).
    static func initialParameters(_ dir: String, like: LoRAAdapter, model: ModelConfig) throws -> [Float] {
        let loaded: LoRAAdapter
        do { loaded = try LoRAAdapter.loadPEFT(directory: dir, model: model) } catch {
            throw ValidationError("--init-adapter \(dir): \(error)")
        }
        guard loaded.config.rank == like.config.rank, loaded.config.alpha == like.config.alpha,
            Set(loaded.config.targets) == Set(like.config.targets)
        else {
            throw ValidationError(
                "--init-adapter \(dir): r \(loaded.config.rank), lora_alpha \(loaded.config.alpha), targets \(loaded.config.targets.map(\.rawValue)); "
                    + "this training uses --rank \(like.config.rank) --alpha \(like.config.alpha) on \(like.config.targets.map(\.rawValue))"
            )
        }
        var out = like.parameters
        for v in like.views {
            guard let w = loaded.views.first(where: { $0.layer == v.layer && $0.projection == v.projection }) else {
                throw ValidationError("--init-adapter \(dir): no factors for layer \(v.layer) \(v.projection.rawValue)")
            }
            let r = v.inFeatures * like.config.rank, q = v.outFeatures * like.config.rank
            out.replaceSubrange(v.aOffset..<(v.aOffset + r), with: loaded.parameters[w.aOffset..<(w.aOffset + r)])
            out.replaceSubrange(v.bOffset..<(v.bOffset + q), with: loaded.parameters[w.bOffset..<(w.bOffset + q)])
        }
        return out
    }

    /// Says on stderr which precision runs (and why bf16 may not).
    static func announce(requested: Precision, running: Precision, path: String, seconds: Double) {
        var line = CommandPrecision.line(requested: requested, running: running, path: path)
        if running == .bfloat16 {
            line += String(
                format:
                    "; frozen products over %d cores, OpenBLAS 1 thread for the small float32 products; weights packed in %.1f s",
                ProcessInfo.processInfo.activeProcessorCount, seconds)
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// One instruction-tuning sample of a JSONL file, with the Alpaca prompt of docs/ALGORITHM.md.
struct InstructionSample {
    var instruction: String
    var input: String
    var response: String

    var prompt: String {
        if input.isEmpty {
            return "Below is an instruction that describes a task. Write a response for the task request.\n\n"
                + "### Instruction:\n\(instruction)\n\n### Response:"
        }
        return "Below is an instruction that describes a task, paired with an input that provides further context. "
            + "Write a response for the task request.\n\n### Instruction:\n\(instruction)\n\n### Input:\n\(input)\n\n### Response:"
    }

    /// The samples of a JSONL file, read by the Data module's reader (as `features` reads them):
    /// CRLF line ends, the line and the JSON error of a bad record, a non-UTF-8 file named.
    static func readJSONL(path: String) throws -> [InstructionSample] {
        let samples = try JSONLLoader.load(path: path, fields: .instructionTuning).samples
        guard !samples.isEmpty else { throw ValidationError("\(path): no samples") }
        return samples.map {
            InstructionSample(
                instruction: $0.instruction, input: $0.input.trimmingCharacters(in: .whitespacesAndNewlines),
                response: $0.output)
        }
    }
}

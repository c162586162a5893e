import ArgumentParser
import Data
import Foundation
import Model

/// `fedhds generate`: greedy continuation of a prompt (or of every sample of a JSONL file).
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Print the greedy continuation of a prompt.",
        discussion: """
            With --prompt, the text is tokenized as is (plus the tokens the model adds, e.g. BOS) and \
            the continuation is printed. With --input, each JSONL sample's Alpaca prompt (Dolly template) \
            is continued and one JSON line {"id", "output"} is printed per sample (the answer trimmed of \
            surrounding whitespace, as evaluations score it); up to --batch \
            sequences decode together with a KV cache.
            """)

    @Option(name: .long, help: "A GGUF file or a Hugging Face model folder (default: $FEDHDS_MODEL).")
    var model: String?

    @Option(name: .long, help: "PEFT LoRA adapter folder (e.g. a run's adapter/) applied to the model.")
    var adapter: String?

    @Option(name: .long, help: "The prompt text.")
    var prompt: String?

    @Option(name: .long, help: "JSONL samples whose prompts to continue (instead of --prompt).")
    var input: String?

    @Option(name: .long, parsing: .unconditional, help: "Stop after this many new tokens.")
    var maxNewTokens = 64

    @Option(name: .long, parsing: .unconditional, help: "Sequences decoded together.")
    var batch = 32

    @Flag(name: .long, help: "Wrap --prompt in the Alpaca (Dolly) template without input.")
    var alpaca = false

    @Flag(name: .long, help: "Do not stop at EOS (benchmarks: always --max-new-tokens tokens).")
    var ignoreEos = false

    @Option(
        name: .long,
        help:
            "Arithmetic of the weight products: bf16 (default; bfloat16 with float32 sums on AMX or AVX512-BF16, fp32 where the CPU has neither), or fp32."
    )
    var precision: Precision = .bfloat16

    @Flag(
        name: .long, help: "Print prefill, decoding and end-to-end generation timing and peak memory as JSON on stderr."
    )
    var timing = false

    func run() throws {
        guard let path = model ?? ProcessInfo.processInfo.environment["FEDHDS_MODEL"] else {
            throw ValidationError("give --model PATH (or set FEDHDS_MODEL)")
        }
        guard (prompt == nil) != (input == nil) else {
            throw ValidationError("give exactly one of --prompt and --input")
        }
        guard maxNewTokens >= 0 else { throw ValidationError("--max-new-tokens must not be negative") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        let loaded = try ModelLoader.load(path: path)
        // Nothing is generated past the context window: a larger number means "to the end of it".
        let maxNewTokens = min(self.maxNewTokens, loaded.weights.config.contextLength)
        let decoder = CommandPrecision.decoder(loaded.weights, precision: precision)
        let tokenizer = loaded.tokenizer
        var lora: LoRAAdapter?
        if let adapter {
            do { lora = try LoRAAdapter.loadPEFT(directory: adapter, model: loaded.weights.config) } catch {
                throw ValidationError("--adapter \(adapter): \(error)")
            }
        }
        var eos = Set<Int>()
        if !ignoreEos {
            if let e = tokenizer.eosTokenId { eos.insert(e) }
            if let e = loaded.weights.config.eosTokenId { eos.insert(e) }
        }
        var prompts: [[Int]] = []
        var ids: [Int] = []
        if let prompt {
            let text = alpaca ? PromptTemplate.dolly.prompt(instruction: prompt, input: "") : prompt
            prompts = [tokenizer.encode(text, addSpecialTokens: true)]
        } else if let input {
            let samples = try JSONLLoader.load(path: input, fields: FeaturesCommand.fields(of: input)).samples
            let functions = try CommandTokenizer.functions(tokenizer, config: loaded.weights.config)
            prompts = samples.map {
                PromptTokenizer.generationInput(prompt: PromptTemplate.dolly.prompt(for: $0), tokenizer: functions)
            }
            ids = samples.map(\.id)
        }
        var prefillSeconds = 0.0
        if timing {  // The prefill alone, timed apart from the generation below.
            let t = Date()
            _ = try decoder.forward(prompts, outputs: ForwardOutputs(logits: .lastToken))
            prefillSeconds = Date().timeIntervalSince(t)
        }
        let t0 = Date()
        var steps = GenerationTiming()
        let outputs = try decoder.generate(
            prompts: prompts, maxNewTokens: maxNewTokens, eosTokenIds: eos, adapter: lora,
            maxBatch: batch, timing: &steps)
        let seconds = Date().timeIntervalSince(t0)
        if prompt != nil {
            print(tokenizer.decode(outputs[0]))
        } else {
            for (i, out) in outputs.enumerated() {
                // Trimmed as the evaluation trims its predictions (the model's answer starts after "### Response:").
                let text = tokenizer.decode(out).trimmingCharacters(in: .whitespacesAndNewlines)
                let line = try JSONSerialization.data(
                    withJSONObject: ["id": ids[i], "output": text],
                    options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: line, as: UTF8.self))
            }
        }
        if timing {
            let promptTokens = prompts.map(\.count).reduce(0, +)
            let generated = outputs.map(\.count).reduce(0, +)
            CommandTiming.report([
                "sequences": Double(prompts.count), "batch": Double(batch),
                "prefill_tokens": Double(promptTokens), "prefill_seconds": prefillSeconds,
                "prefill_tokens_per_second": Double(promptTokens) / prefillSeconds,
                "generated_tokens": Double(generated), "generate_seconds": seconds,
                // End to end: the generation call includes its own prefill of the prompts.
                "generated_tokens_per_second": Double(generated) / seconds,
                // Inside that call: the steps that fed prompts, and the pure decoding steps
                // (one new token per active sequence, KV cache of the prefix).
                "generate_prefill_steps": Double(steps.prefillSteps), "generate_prefill_seconds": steps.prefillSeconds,
                "decode_steps": Double(steps.decodeSteps), "decode_tokens": Double(steps.decodeTokens),
                "decode_seconds": steps.decodeSeconds, "decode_tokens_per_second": steps.decodeTokensPerSecond,
                "bf16": decoder.effectivePrecision == .bfloat16 ? 1 : 0
            ])
        }
    }
}

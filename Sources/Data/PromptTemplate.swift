/// The Alpaca-style prompt templates of the FedHDS reference (docs/ALGORITHM.md, Data).
public struct PromptTemplate: Sendable, Equatable {
    /// Used when the sample has an input (`{instruction}` and `{input}` are replaced).
    public var withInput: String
    /// Used when the input is empty (`{instruction}` is replaced).
    public var withoutInput: String
    /// Natural Instructions always uses `withInput`, even for an empty input (as the reference).
    public var alwaysUseInputTemplate: Bool

    public init(withInput: String, withoutInput: String, alwaysUseInputTemplate: Bool = false) {
        self.withInput = withInput
        self.withoutInput = withoutInput
        self.alwaysUseInputTemplate = alwaysUseInputTemplate
    }

    /// Dolly-15K (the input is Dolly's `context`).
    public static let dolly = PromptTemplate(
        withInput:
            "Below is an instruction that describes a task, paired with an input that provides further context. Write a response for the task request.\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:",
        withoutInput:
            "Below is an instruction that describes a task. Write a response for the task request.\n\n### Instruction:\n{instruction}\n\n### Response:"
    )

    /// Natural Instructions with prompts (`--use_prompts`): the task Definition as instruction.
    public static let naturalInstructions = PromptTemplate(
        withInput:
            "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:",
        withoutInput:
            "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\n{instruction}\n\n### Response:",
        alwaysUseInputTemplate: true)

    /// Natural Instructions without prompts (the reference's default when `--use_prompts` is off).
    public static let naturalInstructionsPlain = PromptTemplate(
        withInput: "{instruction}\n\nInput: {input}\n\nOutput:",
        withoutInput: "{instruction}\n\nInput: {input}\n\nOutput:",
        alwaysUseInputTemplate: true)

    /// The prompt (the "source") of a sample; the training target is `sample.output` + EOS.
    public func prompt(instruction: String, input: String) -> String {
        // Replace {input} first so that braces inside the instruction text are never touched twice.
        if alwaysUseInputTemplate || !input.isEmpty {
            return fill(withInput, instruction: instruction, input: input)
        }
        return fill(withoutInput, instruction: instruction, input: nil)
    }

    public func prompt(for sample: Sample) -> String {
        prompt(instruction: sample.instruction, input: sample.input)
    }

    private func fill(_ template: String, instruction: String, input: String?) -> String {
        // Single pass over the template, so placeholder-like text inside the values stays literal.
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstRange(of: "{") {
            out += rest[..<open.lowerBound]
            let after = rest[open.lowerBound...]
            if after.hasPrefix("{instruction}") {
                out += instruction
                rest = after.dropFirst("{instruction}".count)
            } else if let input, after.hasPrefix("{input}") {
                out += input
                rest = after.dropFirst("{input}".count)
            } else {
                out += "{"
                rest = after.dropFirst()
            }
        }
        out += rest
        return out
    }
}

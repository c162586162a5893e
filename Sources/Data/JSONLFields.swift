/// Which keys of a JSONL record hold the four parts of a `Sample`.
public struct JSONLFields: Sendable, Equatable {
    public var instruction: String
    public var input: String
    public var output: String
    public var category: String
    /// Whether a record must have the input field (Dolly: yes; generic files: no, missing means "").
    public var inputRequired: Bool
    /// Whether a record must have the category field (missing means "").
    public var categoryRequired: Bool

    public init(
        instruction: String = "instruction", input: String = "input", output: String = "output",
        category: String = "category", inputRequired: Bool = false, categoryRequired: Bool = false
    ) {
        self.instruction = instruction
        self.input = input
        self.output = output
        self.category = category
        self.inputRequired = inputRequired
        self.categoryRequired = categoryRequired
    }

    /// Keys read when `input` / `output` is absent from a record (e.g. Dolly's context/response).
    public var inputFallback: String?
    public var outputFallback: String?

    /// Generic instruction data: instruction, input (optional), output, category (optional).
    public static let generic = JSONLFields()
    /// databricks-dolly-15k: instruction, context, response, category, all required.
    public static let dolly = JSONLFields(
        instruction: "instruction", input: "context", output: "response",
        category: "category", inputRequired: true, categoryRequired: true)
    /// Instruction data in either naming, record by record: instruction, input or context
    /// (optional), output or response, category (optional). What `train`, `features` and
    /// `generate --input` read.
    public static let instructionTuning: JSONLFields = {
        var f = JSONLFields()
        f.inputFallback = "context"
        f.outputFallback = "response"
        return f
    }()
}

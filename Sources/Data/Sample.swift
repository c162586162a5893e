/// One instruction-tuning record, in the shape every loader produces.
///
/// `id` is stable: for a JSONL file it is the 0-based index of the record among the file's non-blank
/// lines; for Natural Instructions it is the running index over the loaded task files (see
/// `NaturalInstructionsLoader`). Partition manifests refer to samples by this id.
public struct Sample: Sendable, Equatable, Hashable, Codable {
    public var id: Int
    public var instruction: String
    /// The optional context (Dolly's `context`, NI's instance `input`); "" when there is none.
    public var input: String
    /// The reference response (Dolly's `response`, NI's `output[0]`).
    public var output: String
    /// Dolly's category, the NI task name, or "" when the record has none.
    public var category: String

    public init(id: Int, instruction: String, input: String, output: String, category: String) {
        self.id = id
        self.instruction = instruction
        self.input = input
        self.output = output
        self.category = category
    }
}

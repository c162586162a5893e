/// databricks-dolly-15k (`instruction`, `context`, `response`, `category` per line).
public enum DollyLoader {
    /// The eight categories in code order (alphabetical, as `pandas.Categorical` numbers them).
    public static let categories = [
        "brainstorming", "classification", "closed_qa", "creative_writing",
        "general_qa", "information_extraction", "open_qa", "summarization"
    ]
    /// The category held out for zero-shot evaluation by default (code 7, `summarization`).
    public static let defaultHeldOutCategory = 7
    /// The file name inside `<data root>/dolly/`.
    public static let fileName = "databricks-dolly-15k.jsonl"

    /// Loads a Dolly JSONL file; `path` nil means the shipped copy under `DataPaths.root()`.
    /// A record whose category is not one of the eight is an `unknownCategory` problem.
    public static func load(path: String? = nil, policy: MalformedLinePolicy = .stop) throws -> Dataset {
        let file = try path ?? DataPaths.dollyFile()
        return try JSONLLoader.load(
            path: file, fields: .dolly, allowedCategories: Set(categories),
            policy: policy, name: "dolly")
    }

    /// Category codes of `dataset`'s samples against the fixed eight-category list
    /// (same numbering as `Dataset.categoryCodes` when all eight are present).
    public static func categoryCodes(of dataset: Dataset) throws -> [Int] {
        var code: [String: Int] = [:]
        for (i, c) in categories.enumerated() { code[c] = i }
        return try dataset.samples.map { s in
            guard let c = code[s.category] else {
                throw DataError.unknownCategory(path: dataset.name, line: s.id + 1, category: s.category)
            }
            return c
        }
    }
}

/// Every error the Data module throws.
public enum DataError: Error, Equatable, CustomStringConvertible {
    /// A file that cannot be read.
    case unreadable(path: String, reason: String)
    /// A file or folder that does not exist.
    case fileNotFound(path: String)
    /// A line (1-based) that is not a JSON object, or a JSON file that does not parse.
    case malformedJSON(path: String, line: Int, reason: String)
    /// A record without a required field, or with a field of the wrong type.
    case missingField(path: String, line: Int, field: String)
    /// A category outside the dataset's known set (e.g. not one of Dolly's eight).
    case unknownCategory(path: String, line: Int, category: String)
    /// A Natural Instructions task file that does not have the expected shape.
    case invalidTask(path: String, reason: String)
    /// A parameter that cannot be used (names which one and why).
    case invalidArgument(String)
    /// A partition that could not satisfy its constraints.
    case partitionFailed(String)
    /// A manifest that does not match the data it is applied to.
    case manifestMismatch(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): \(reason)"
        case let .fileNotFound(path): return "\(path): no such file"
        case let .malformedJSON(path, line, reason): return "\(path):\(line): not valid JSON: \(reason)"
        case let .missingField(path, line, field): return "\(path):\(line): missing or non-string field \"\(field)\""
        case let .unknownCategory(path, line, category): return "\(path):\(line): unknown category \"\(category)\""
        case let .invalidTask(path, reason): return "\(path): invalid Natural Instructions task: \(reason)"
        case let .invalidArgument(what): return "invalid argument: \(what)"
        case let .partitionFailed(what): return "partition failed: \(what)"
        case let .manifestMismatch(what): return "manifest does not match the data: \(what)"
        }
    }
}

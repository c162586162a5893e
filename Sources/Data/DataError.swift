/// Every error the Data module throws.
public enum DataError: Error, Equatable, CustomStringConvertible {
    /// A file that cannot be read.
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): \(reason)"
        }
    }
}

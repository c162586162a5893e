/// Every error the Selection module throws.
public enum SelectionError: Error, Equatable, CustomStringConvertible {
    /// A feature matrix with NaN or infinite values, or inconsistent dimensions.
    case invalidInput(String)

    public var description: String {
        switch self {
        case let .invalidInput(what): return "invalid input: \(what)"
        }
    }
}

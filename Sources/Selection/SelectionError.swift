/// Every error the Selection module throws.
public enum SelectionError: Error, Equatable, CustomStringConvertible {
    /// A feature matrix with NaN or infinite values, or inconsistent dimensions.
    case invalidInput(String)
    /// A value that is not finite, at (row, column) of the named matrix.
    case nonFiniteValue(matrix: String, row: Int, column: Int)
    /// A parameter outside its allowed range (name and why).
    case invalidParameter(String)
    /// A LAPACK routine reported failure (routine, info code).
    case numericalFailure(String)

    public var description: String {
        switch self {
        case let .invalidInput(what): return "invalid input: \(what)"
        case let .nonFiniteValue(matrix, row, column):
            return "invalid input: \(matrix) has a NaN or infinite value at row \(row), column \(column)"
        case let .invalidParameter(what): return "invalid parameter: \(what)"
        case let .numericalFailure(what): return "numerical failure: \(what)"
        }
    }
}

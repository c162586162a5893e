/// Every error the Actors module throws.
public enum ActorsError: Error, Equatable, CustomStringConvertible {
    /// A configuration that cannot be used.
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(what): return "invalid configuration: \(what)"
        }
    }
}

/// Every error the Model module throws: loading, tokenizing, running and training models.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// A model or adapter file that cannot be read as what it claims to be.
    case invalidFile(path: String, reason: String)
    /// A tensor that is missing, has the wrong shape, or an unsupported type.
    case invalidTensor(path: String, tensor: String, reason: String)
    /// A format or architecture this engine does not support.
    case unsupported(String)
    /// Input that does not fit the model (empty sequence, token id out of range, too long, ...).
    case invalidInput(String)
    /// An adapter whose layout does not match the model it is applied to.
    case adapterMismatch(String)

    public var description: String {
        switch self {
        case let .invalidFile(path, reason): return "\(path): \(reason)"
        case let .invalidTensor(path, tensor, reason): return "\(path): tensor '\(tensor)': \(reason)"
        case let .unsupported(what): return "unsupported: \(what)"
        case let .invalidInput(what): return "invalid input: \(what)"
        case let .adapterMismatch(what): return "adapter mismatch: \(what)"
        }
    }
}

/// Every error the Actors module throws.
public enum ActorsError: Error, Equatable, CustomStringConvertible {
    /// A configuration that cannot be used.
    case invalidConfiguration(String)
    /// A peer sent something the round protocol does not allow (wrong round, size, order).
    case protocolViolation(String)
    /// A checkpoint or output file that cannot be read or written.
    case storage(String)
    /// A module the method needs failed or is missing.
    case module(String)
    /// Too few clients answered a phase before its deadline.
    case tooFewResponses(round: Int, phase: String, got: Int, needed: Int)
    /// A worker stopped serving before the server said the run is over (lost server, refused).
    case workerEnded(String)
    /// A run ended without any client's update (every worker gone, every client failing).
    case nothingTrained(String)
    /// A device trace of the simulated clock that cannot be used: its file, the line (1-based; nil
    /// for the trace as a whole), the field, and what is wrong.
    case invalidTrace(file: String, line: Int?, field: String?, reason: String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(what): return "invalid configuration: \(what)"
        case let .protocolViolation(what): return "protocol violation: \(what)"
        case let .storage(what): return "storage: \(what)"
        case let .module(what): return "module: \(what)"
        case let .tooFewResponses(round, phase, got, needed):
            return "round \(round), phase \(phase): \(got) answers before the deadline, at least \(needed) needed"
        case let .workerEnded(why): return "worker ended before the run did: \(why)"
        case let .nothingTrained(why): return "nothing was trained: \(why)"
        case let .invalidTrace(file, line, field, reason):
            let at = (line.map { " line \($0)" } ?? "") + (field.map { ", field `\($0)`" } ?? "")
            return "device trace \(file)\(at): \(reason)"
        }
    }
}

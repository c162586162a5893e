/// Either direction: stop (the server ends the run, or a worker leaves).
public struct Shutdown: Sendable, Equatable {
    public var reason: String

    public init(reason: String = "") { self.reason = reason }
}

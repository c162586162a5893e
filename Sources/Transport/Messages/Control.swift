/// worker -> server, first message of a worker: its id, the client ids it hosts, what it can do.
/// Under CURVE the server identifies the worker by its authenticated key, not by `workerID`.
public struct Register: Sendable, Equatable {
    public var workerID: String
    public var clientIDs: [Int]
    public var capabilities: [String]

    public init(workerID: String, clientIDs: [Int], capabilities: [String] = []) {
        self.workerID = workerID
        self.clientIDs = clientIDs
        self.capabilities = capabilities
    }
}

/// Application-level liveness message; endpoints send and consume these themselves.
public struct Heartbeat: Sendable, Equatable {
    public var sequence: UInt64

    public init(sequence: UInt64) { self.sequence = sequence }
}

/// Either direction: a failure with a numeric code and a human-readable text. When the failure is
/// one client's in one round, `clientID` and `round` name them, so the receiver never has to parse
/// the text.
public struct ErrorReport: Sendable, Equatable {
    public var code: Int32
    public var text: String
    public var clientID: Int?
    public var round: Int?

    public init(code: Int32, text: String, clientID: Int? = nil, round: Int? = nil) {
        self.code = code
        self.text = text
        self.clientID = clientID
        self.round = round
    }
}

/// Either direction: stop (the server ends the run, or a worker leaves).
public struct Shutdown: Sendable, Equatable {
    public var reason: String

    public init(reason: String = "") { self.reason = reason }
}

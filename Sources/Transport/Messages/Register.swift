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

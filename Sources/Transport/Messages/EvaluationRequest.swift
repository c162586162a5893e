/// server -> worker: evaluate the given clients (or a named held-out set) with the current model.
public struct EvaluationRequest: Sendable, Equatable {
    public var round: Int
    public var clientIDs: [Int]
    public var task: String

    public init(round: Int, clientIDs: [Int], task: String = "") {
        self.round = round
        self.clientIDs = clientIDs
        self.task = task
    }
}

/// worker -> server: named metrics (e.g. "rougeL", "loss", "samples") of one client's evaluation.
public struct EvaluationResult: Sendable, Equatable {
    public var round: Int
    public var clientID: Int
    public var metrics: [String: Double]

    public init(round: Int, clientID: Int, metrics: [String: Double]) {
        self.round = round
        self.clientID = clientID
        self.metrics = metrics
    }
}

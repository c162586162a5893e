/// server -> worker: for each client (by id), the ids of its clusters that the server selected.
public struct ClusterSelection: Sendable, Equatable {
    public var round: Int
    public var chosen: [Int: [Int]]

    public init(round: Int, chosen: [Int: [Int]]) {
        self.round = round
        self.chosen = chosen
    }
}

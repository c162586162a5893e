/// A dataset together with its partition: what a simulation needs to give every client its data
/// and the server its evaluation set.
public struct FederatedDataset: Sendable, Equatable {
    public var dataset: Dataset
    public var partition: Partition

    public init(dataset: Dataset, partition: Partition) throws {
        try partition.validate(against: dataset)
        self.dataset = dataset
        self.partition = partition
    }

    public var clientCount: Int { partition.clients.count }

    /// The samples of client `client` (0-based), in the partition's order.
    public func clientSamples(_ client: Int) throws -> [Sample] {
        guard client >= 0, client < partition.clients.count else {
            throw DataError.invalidArgument("client \(client) out of range 0..<\(partition.clients.count)")
        }
        return try dataset.samples(withIDs: partition.clients[client])
    }

    /// The held-out evaluation samples.
    public func evaluationSamples() throws -> [Sample] {
        try dataset.samples(withIDs: partition.evaluation)
    }

    /// Per client: the number of samples of each category (category name -> count).
    public func categoryHistograms() throws -> [[String: Int]] {
        try (0..<clientCount).map { c in
            var h: [String: Int] = [:]
            for s in try clientSamples(c) { h[s.category, default: 0] += 1 }
            return h
        }
    }
}

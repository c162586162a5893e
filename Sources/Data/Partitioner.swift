/// Splits items over clients. Results are positions into the input (0..<count), per client.
public enum Partitioner {
    /// The Dirichlet label partition of the FedHDS reference (`partition_idx_labeldir`).
    ///
    /// For each label k (distinct labels in ascending order): shuffle the items of label k, draw
    /// proportions p ~ Dir(alpha) over the clients, zero p_j for every client j that already holds
    /// `N / clients` items or more (N = all items; "holding more than its fair share"), renormalise,
    /// and cut the shuffled items at `floor(cumsum(p) * n_k)`. Redraw everything until every client
    /// holds at least `minSamples` items; finally shuffle each client's list.
    /// - Throws: `partitionFailed` after `maxAttempts` draws, `invalidArgument` on bad parameters.
    public static func dirichlet(
        labels: [Int], clients: Int, alpha: Double, minSamples: Int = 10,
        maxAttempts: Int = 10_000,
        using generator: inout some RandomNumberGenerator
    ) throws -> [[Int]] {
        guard clients > 0 else { throw DataError.invalidArgument("number of clients must be positive, got \(clients)") }
        guard alpha > 0, alpha.isFinite else {
            throw DataError.invalidArgument("alpha must be a positive number, got \(alpha)")
        }
        guard minSamples >= 0 else { throw DataError.invalidArgument("minSamples must be >= 0, got \(minSamples)") }
        let n = labels.count
        guard minSamples * clients <= n else {
            throw DataError.partitionFailed("\(n) samples cannot give \(clients) clients at least \(minSamples) each")
        }
        let classes = Array(Set(labels)).sorted()
        var byClass: [[Int]] = classes.map { _ in [] }
        var classIndex: [Int: Int] = [:]
        for (i, c) in classes.enumerated() { classIndex[c] = i }
        for (i, label) in labels.enumerated() { byClass[classIndex[label]!].append(i) }
        let fairShare = Double(n) / Double(clients)

        for _ in 0..<maxAttempts {
            var batches = [[Int]](repeating: [], count: clients)
            for members in byClass {
                var idx = members
                RandomDraws.shuffle(&idx, using: &generator)
                var p = try Dirichlet.sample(alpha: alpha, count: clients, using: &generator)
                var sum = 0.0
                for j in 0..<clients {
                    if !(Double(batches[j].count) < fairShare) { p[j] = 0 }
                    sum += p[j]
                }
                if sum > 0 {
                    for j in 0..<clients { p[j] /= sum }
                } else {  // cannot happen while items remain (someone is below the mean); stay defined
                    for j in 0..<clients { p[j] = 1.0 / Double(clients) }
                }
                var cumulative = 0.0
                var start = 0
                let m = Double(idx.count)
                for j in 0..<clients {
                    cumulative += p[j]
                    let end = j == clients - 1 ? idx.count : min(idx.count, max(start, Int(cumulative * m)))
                    if end > start { batches[j].append(contentsOf: idx[start..<end]) }
                    start = end
                }
            }
            if batches.allSatisfy({ $0.count >= minSamples }) {
                for j in 0..<clients { RandomDraws.shuffle(&batches[j], using: &generator) }
                return batches
            }
        }
        throw DataError.partitionFailed(
            "no Dirichlet(alpha \(alpha)) draw over \(clients) clients gave every client at least \(minSamples) samples in \(maxAttempts) attempts"
        )
    }

    /// IID split as the reference does it: a random permutation cut into `clients` parts of
    /// `floor(count / clients)` items, the last part taking the remainder.
    public static func iid(count: Int, clients: Int, using generator: inout some RandomNumberGenerator) throws
        -> [[Int]]
    {
        guard clients > 0 else { throw DataError.invalidArgument("number of clients must be positive, got \(clients)") }
        guard count >= clients else {
            throw DataError.partitionFailed("\(count) samples cannot be split over \(clients) clients")
        }
        var order = Array(0..<count)
        RandomDraws.shuffle(&order, using: &generator)
        let size = count / clients
        var parts: [[Int]] = []
        parts.reserveCapacity(clients)
        for j in 0..<clients {
            let end = j == clients - 1 ? count : (j + 1) * size
            parts.append(Array(order[(j * size)..<end]))
        }
        return parts
    }
}

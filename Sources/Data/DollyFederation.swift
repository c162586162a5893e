/// Dolly-15K as the paper federates it: one category held out for zero-shot evaluation, the rest
/// spread over clients by a Dirichlet label partition (or IID).
public enum DollyFederation {
    /// How the training categories are spread over clients.
    public enum Split: Sendable, Equatable {
        case dirichlet(alpha: Double)
        case iid
    }

    /// Builds the partition. Category codes are the alphabetical codes of `dataset.categories`
    /// (7 = `summarization` for Dolly); `heldOutCategory` nil holds nothing out.
    /// - Parameters:
    ///   - clients: 200 in the paper.
    ///   - minSamples: the Dirichlet redraw bound (10 in the reference).
    ///   - seed: only recorded in the manifest; the draws come from `generator`.
    ///   - excluding: sample ids kept out of every client (a validation split); empty = none, and
    ///     then the partition is exactly the one without the parameter.
    public static func make(
        dataset: Dataset, clients: Int = 200, split: Split = .dirichlet(alpha: 0.5),
        heldOutCategory: Int? = DollyLoader.defaultHeldOutCategory, minSamples: Int = 10,
        seed: UInt64? = nil, excluding: Set<Int> = [],
        using generator: inout some RandomNumberGenerator
    ) throws -> FederatedDataset {
        let categories = dataset.categories
        let codes = dataset.categoryCodes
        let ids = dataset.samples.map(\.id)
        var parameters: [String: String] = ["clients": String(clients), "minSamples": String(minSamples)]
        var trainPositions: [Int] = []
        var evalPositions: [Int] = []
        if let held = heldOutCategory {
            guard held >= 0, held < categories.count else {
                throw DataError.invalidArgument(
                    "held-out category code \(held) is not in 0..<\(categories.count) (categories: \(categories.joined(separator: ", ")))"
                )
            }
            parameters["heldOutCategory"] = categories[held]
            for (i, c) in codes.enumerated() {
                if c == held {
                    evalPositions.append(i)
                } else if !excluding.contains(ids[i]) {
                    trainPositions.append(i)
                }
            }
        } else {
            trainPositions = codes.indices.filter { !excluding.contains(ids[$0]) }
        }
        if !excluding.isEmpty { parameters["excluded"] = String(excluding.count) }
        let parts: [[Int]]
        let method: String
        switch split {
        case let .dirichlet(alpha):
            parameters["alpha"] = String(alpha)
            method = "dirichlet"
            parts = try Partitioner.dirichlet(
                labels: trainPositions.map { codes[$0] }, clients: clients, alpha: alpha,
                minSamples: minSamples, using: &generator)
        case .iid:
            method = "iid"
            parts = try Partitioner.iid(count: trainPositions.count, clients: clients, using: &generator)
        }
        let partition = Partition(
            dataset: dataset.name, method: method, seed: seed, parameters: parameters,
            sampleCount: dataset.samples.count,
            clientNames: (0..<clients).map { "client-\($0)" },
            clients: parts.map { $0.map { ids[trainPositions[$0]] } },
            evaluation: evalPositions.map { ids[$0] })
        return try FederatedDataset(dataset: dataset, partition: partition)
    }

    /// A validation split for choosing hyper-parameters: `count` sample ids drawn uniformly
    /// without replacement from the training categories (never the held-out one), in ascending
    /// order. Pass them as `excluding` to `make` so that no client trains on them.
    public static func validationDraw(
        dataset: Dataset, count: Int, heldOutCategory: Int?,
        using generator: inout some RandomNumberGenerator
    ) throws -> [Int] {
        let codes = dataset.categoryCodes
        var pool = dataset.samples.indices.filter { heldOutCategory == nil || codes[$0] != heldOutCategory }.map {
            dataset.samples[$0].id
        }
        guard count >= 1, count <= pool.count else {
            throw DataError.invalidArgument(
                "validation split of \(count) samples: the training categories hold \(pool.count)")
        }
        RandomDraws.shuffle(&pool, using: &generator)
        return Array(pool.prefix(count)).sorted()
    }
}

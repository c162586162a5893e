/// Samples loaded from one source, with the problems that were skipped on the way.
public struct Dataset: Sendable, Equatable {
    /// A short name of the source ("dolly", "natural-instructions", or a file name).
    public var name: String
    public var samples: [Sample]
    /// Records left out under `MalformedLinePolicy.skip`, each a `DataError` naming file and line.
    public var skipped: [DataError]

    public init(name: String, samples: [Sample], skipped: [DataError] = []) {
        self.name = name
        self.samples = samples
        self.skipped = skipped
    }

    /// The distinct non-empty categories in alphabetical (code point) order: the order in which
    /// `pandas.Categorical` numbers them, so Dolly's code 7 is `summarization`.
    public var categories: [String] {
        Array(Set(samples.lazy.map(\.category).filter { !$0.isEmpty })).sorted {
            $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars)
        }
    }

    /// Each sample's category code (index into `categories`; -1 for an empty category, as pandas
    /// gives missing values), in sample order.
    public var categoryCodes: [Int] {
        var code: [String: Int] = [:]
        for (i, c) in categories.enumerated() { code[c] = i }
        return samples.map { code[$0.category] ?? -1 }
    }

    /// The samples with the given ids, in the order given. Throws if an id is not in the dataset.
    public func samples(withIDs ids: [Int]) throws -> [Sample] {
        // Fast path: ids equal positions (the case for every clean file).
        var position: [Int: Int]? = nil
        var out: [Sample] = []
        out.reserveCapacity(ids.count)
        for id in ids {
            if id >= 0, id < samples.count, samples[id].id == id {
                out.append(samples[id])
                continue
            }
            if position == nil {
                var p: [Int: Int] = [:]
                for (i, s) in samples.enumerated() { p[s.id] = i }
                position = p
            }
            guard let i = position?[id] else {
                throw DataError.manifestMismatch("sample id \(id) is not in dataset \(name) (\(samples.count) samples)")
            }
            out.append(samples[i])
        }
        return out
    }
}

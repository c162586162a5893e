/// ALGORITHM.md step 9: the weighted mean of the trained clients' flat parameter vectors, weights
/// proportional to their number of training batches (or equal), normalised to 1, summed in
/// client-id order so the result does not depend on the order in which updates arrived.
public enum FedAvg {
    public struct Contribution: Sendable {
        public var client: Int
        public var batches: Int
        public var parameters: [Float]
        public init(client: Int, batches: Int, parameters: [Float]) {
            self.client = client
            self.batches = batches
            self.parameters = parameters
        }
    }

    /// The average, or nil when no client trained (the global parameters stay as they are).
    public static func average(_ updates: [Contribution], equalWeight: Bool) throws -> [Float]? {
        let trained = updates.filter { $0.batches > 0 }.sorted { $0.client < $1.client }
        guard let first = trained.first else { return nil }
        let n = first.parameters.count
        if let bad = trained.first(where: { $0.parameters.count != n }) {
            throw ActorsError.protocolViolation(
                "client \(bad.client) sent \(bad.parameters.count) parameters, expected \(n)")
        }
        let total = trained.reduce(0) { $0 + $1.batches }
        var out = [Float](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { o in
            for u in trained {
                let w = equalWeight ? Float(1) / Float(trained.count) : Float(u.batches) / Float(total)
                u.parameters.withUnsafeBufferPointer { p in
                    for i in 0..<n { o[i] += w * p[i] }
                }
            }
        }
        return out
    }
}

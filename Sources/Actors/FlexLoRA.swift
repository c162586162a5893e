import Model

/// FlexLoRA's aggregation (Bai et al., NeurIPS 2024), the server step of the `flexlora` method:
/// for every adapted projection, the FedAvg-weighted mean of the clients' full updates
/// `scale * B_i A_i`, truncated back to the adapter's rank by SVD (`LowRankMean`), so the global
/// adapter's update is the best rank-r approximation of the mean update. FedAvg of A and B
/// separately (FedIT) averages the factors instead, whose product is not the mean product.
/// Homogeneous ranks (the paper's r = 8): every client shares the global adapter's layout.
/// Summed in client-id order, as FedAvg, so arrival order changes nothing.
public enum FlexLoRA {
    /// The new global parameters (the layout of `adapter`), or nil when no client trained.
    public static func aggregate(
        _ updates: [FedAvg.Contribution], layout adapter: LoRAAdapter,
        equalWeight: Bool
    ) throws -> [Float]? {
        let trained = updates.filter { $0.batches > 0 }.sorted { $0.client < $1.client }
        guard !trained.isEmpty else { return nil }
        let n = adapter.parameters.count
        if let bad = trained.first(where: { $0.parameters.count != n }) {
            throw ActorsError.protocolViolation(
                "client \(bad.client) sent \(bad.parameters.count) parameters, "
                    + "expected \(n)")
        }
        let rank = adapter.config.rank
        let scale = Double(adapter.config.scale)
        var out = [Float](repeating: 0, count: n)
        for view in adapter.views {
            let aCount = rank * view.inFeatures, bCount = view.outFeatures * rank
            let factors = trained.map { u in
                LowRankMean.Factors(
                    a: Array(u.parameters[view.aOffset..<(view.aOffset + aCount)]),
                    b: Array(u.parameters[view.bOffset..<(view.bOffset + bCount)]),
                    rank: rank, scale: scale, weight: equalWeight ? 1 : Double(u.batches))
            }
            let mean = try LowRankMean(factors, outFeatures: view.outFeatures, inFeatures: view.inFeatures)
            let (a, b) = try mean.factors(rank: rank, scale: scale)
            out.replaceSubrange(view.aOffset..<(view.aOffset + aCount), with: a)
            out.replaceSubrange(view.bOffset..<(view.bOffset + bCount), with: b)
        }
        return out
    }
}

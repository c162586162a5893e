/// The DP boundary on a client's outbound path: the only producer of `Centroids` messages.
/// With a mechanism, every coordinate is released as tanh(c) + N(0, sigma^2) and (epsilon, delta,
/// sigma) are recorded in the message; without one (`PrivacyBoundary.off`) the centroids pass
/// unchanged and the message records no privacy. The client keeps its `RawCentroids` for its own
/// local choice.
public struct PrivacyBoundary: Sendable, Equatable {
    public let mechanism: GaussianMechanism?

    public init(mechanism: GaussianMechanism?) { self.mechanism = mechanism }

    /// Convenience: a boundary with the Gaussian mechanism for (epsilon, delta).
    public init(epsilon: Double, delta: Double) throws {
        self.mechanism = try GaussianMechanism(epsilon: epsilon, delta: delta)
    }

    /// No noise (the paper's default runs).
    public static let off = PrivacyBoundary(mechanism: nil)

    /// Releases `raw` as a sendable message, drawing the noise from `rng`.
    public func release(_ raw: RawCentroids, using rng: inout some RandomNumberGenerator) -> Centroids {
        guard let m = mechanism else {
            return Centroids(
                round: raw.round, clientID: raw.clientID, clusterIDs: raw.clusterIDs,
                dims: raw.dims, coordinates: raw.coordinates, privacy: nil,
                featureTokens: raw.featureTokens)
        }
        return Centroids(
            round: raw.round, clientID: raw.clientID, clusterIDs: raw.clusterIDs,
            dims: raw.dims, coordinates: m.apply(raw.coordinates, using: &rng),
            privacy: PrivacyRecord(epsilon: m.epsilon, delta: m.delta, sigma: m.sigma),
            featureTokens: raw.featureTokens)
    }
}

/// The DP release a `Centroids` message went through: (epsilon, delta) and the noise standard
/// deviation `sigma` that was applied after tanh scaling.
public struct PrivacyRecord: Sendable, Equatable {
    public let epsilon: Double
    public let delta: Double
    public let sigma: Double

    public init(epsilon: Double, delta: Double, sigma: Double) {
        self.epsilon = epsilon
        self.delta = delta
        self.sigma = sigma
    }
}

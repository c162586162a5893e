import Foundation

/// The Gaussian mechanism of ALGORITHM.md step 5: each coordinate c becomes tanh(c) + N(0, sigma^2),
/// sigma = 2 * sqrt(2 ln(1.25 / delta)) / epsilon (sensitivity 2 after tanh).
public struct GaussianMechanism: Sendable, Equatable {
    public let epsilon: Double
    public let delta: Double
    public let sigma: Double

    /// Throws unless epsilon > 0 and 0 < delta < 1 (both finite).
    public init(epsilon: Double, delta: Double) throws {
        guard epsilon.isFinite, epsilon > 0 else {
            throw TransportError.invalidPrivacy("epsilon must be a finite number > 0, got \(epsilon)")
        }
        guard delta.isFinite, delta > 0, delta < 1 else {
            throw TransportError.invalidPrivacy("delta must be in (0, 1), got \(delta)")
        }
        self.epsilon = epsilon
        self.delta = delta
        let sigma = 2 * (2 * log(1.25 / delta)).squareRoot() / epsilon
        guard sigma.isFinite, sigma < 1e30 else {
            throw TransportError.invalidPrivacy(
                "epsilon \(epsilon) gives a noise scale \(sigma) that float32 cannot carry")
        }
        self.sigma = sigma
    }

    /// Applies the mechanism to every value.
    public func apply(_ values: [Float], using rng: inout some RandomNumberGenerator) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        var i = 0
        let n = values.count
        while i < n {
            let (z0, z1) = GaussianMechanism.standardNormalPair(using: &rng)
            out[i] = Float(Double(tanhf(values[i])) + sigma * z0)
            if i + 1 < n { out[i + 1] = Float(Double(tanhf(values[i + 1])) + sigma * z1) }
            i += 2
        }
        return out
    }

    /// Two independent N(0, 1) draws (Box-Muller on 53-bit uniforms).
    static func standardNormalPair(using rng: inout some RandomNumberGenerator) -> (Double, Double) {
        let scale = 1.0 / 9007199254740992.0  // 2^-53
        let u1 = (Double(rng.next() >> 11) + 1) * scale  // (0, 1]
        let u2 = Double(rng.next() >> 11) * scale  // [0, 1)
        let r = (-2 * log(u1)).squareRoot()
        let t = 2 * Double.pi * u2
        return (r * cos(t), r * sin(t))
    }
}

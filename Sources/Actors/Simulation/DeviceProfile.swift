/// The system model of one simulated client: how fast its device computes, how fast its network
/// moves bytes, when it is online, and how likely it is to drop out of a round it takes part in.
/// Compute speeds are simulated seconds per 1,000 tokens; bandwidths are megabits (10^6 bits) per
/// second; latency is one-way and charged once per message.
public struct DeviceProfile: Sendable, Codable, Equatable {
    /// Seconds per 1,000 tokens through the feature model (forward only).
    public var featureSecondsPer1k: Double
    /// Seconds per 1,000 tokens trained (forward and backward).
    public var trainSecondsPer1k: Double
    /// Seconds per 1,000 tokens generated (decoding).
    public var generateSecondsPer1k: Double
    /// Server-to-client bandwidth, Mbit/s.
    public var downMbps: Double
    /// Client-to-server bandwidth, Mbit/s.
    public var upMbps: Double
    /// One-way latency of a message, seconds.
    public var latency: Double
    /// Probability that the client drops out during a round it was invited to.
    public var dropout: Double
    public var availability: Availability

    public init(
        featureSecondsPer1k: Double, trainSecondsPer1k: Double, generateSecondsPer1k: Double,
        downMbps: Double, upMbps: Double, latency: Double, dropout: Double = 0,
        availability: Availability = .always
    ) {
        self.featureSecondsPer1k = featureSecondsPer1k
        self.trainSecondsPer1k = trainSecondsPer1k
        self.generateSecondsPer1k = generateSecondsPer1k
        self.downMbps = downMbps
        self.upMbps = upMbps
        self.latency = latency
        self.dropout = dropout
        self.availability = availability
    }

    /// Every client's device in the uniform system model: always online, never drops, the same
    /// speeds for all (so with no simulated deadlines every invited client answers, as on an idle host).
    public static let uniform = DeviceProfile(
        featureSecondsPer1k: 1, trainSecondsPer1k: 10, generateSecondsPer1k: 50,
        downMbps: 20, upMbps: 5, latency: 0.05)

    /// Seconds to receive `bytes` from the server.
    public func downloadSeconds(_ bytes: Int) -> Double {
        bytes > 0 ? latency + Double(bytes) * 8 / (downMbps * 1e6) : 0
    }

    /// Seconds to send `bytes` to the server.
    public func uploadSeconds(_ bytes: Int) -> Double {
        bytes > 0 ? latency + Double(bytes) * 8 / (upMbps * 1e6) : 0
    }

    /// Seconds of compute for `work`.
    public func computeSeconds(_ work: ClientWork) -> Double {
        (Double(work.featureTokens) * featureSecondsPer1k + Double(work.trainTokens) * trainSecondsPer1k
            + Double(work.generatedTokens) * generateSecondsPer1k) / 1000
    }
}

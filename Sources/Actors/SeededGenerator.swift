/// The run's only source of randomness: a SplitMix64 generator whose seed is a hash of
/// (run seed, round, client, purpose). Each draw site asks for its own stream, so a draw never
/// depends on how many other draws happened before it, in which process, or in which order:
/// the same seed gives the same adapters in one process, on many hosts, and after a resume.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable, Codable {
    /// What a stream is for; part of its key.
    public enum Purpose: UInt64, Sendable {
        case participants = 1
        case partition, loraInit, shuffle, dropout, dpNoise, randomSelection,
            tsne, kmeans, evalSample, tinyModel, other,
            /// `selection.mode` reference-shuffle: the order of a client's feature rows.
            featureOrder,
            /// `selection.ratio_rounding` stochastic: whether a client takes one sample more.
            ratioRounding,
            /// `eval.split` validation: which training-category samples are held out.
            validation,
            /// The simulated clock: each client's synthetic device (round 0).
            systemModel,
            /// The simulated clock: whether and when an invited client drops out of a round.
            clientDropout,
            /// The simulated clock: which online clients a round invites, when not today's draw.
            invitation
    }

    public private(set) var state: UInt64

    public init(state: UInt64) { self.state = state }

    /// The stream for one purpose of one client in one round (`client` -1 = the server or the
    /// whole run; `round` 0 = before the first round).
    public init(seed: UInt64, round: Int, client: Int, purpose: Purpose) {
        var h = SeededGenerator.mix(seed ^ 0x6A09_E667_F3BC_C908)
        h = SeededGenerator.mix(h ^ UInt64(bitPattern: Int64(round)))
        h = SeededGenerator.mix(h ^ UInt64(bitPattern: Int64(client)) &* 0x9E37_79B9_7F4A_7C15)
        h = SeededGenerator.mix(h ^ purpose.rawValue &* 0xBF58_476D_1CE4_E5B9)
        state = h
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SeededGenerator.mix(state)
    }

    /// SplitMix64's finaliser.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

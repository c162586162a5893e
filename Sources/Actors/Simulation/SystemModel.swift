import Foundation

/// The devices of a federation: one `DeviceProfile` per client, uniform, drawn from the run seed
/// (`synthetic`), or read from a trace file (`DeviceTrace`).
public struct SystemModel: Sendable, Codable, Equatable {
    /// `devices[c]` is client c's device.
    public var devices: [DeviceProfile]

    public init(devices: [DeviceProfile]) { self.devices = devices }

    public var clients: Int { devices.count }

    /// Every client on `DeviceProfile.uniform`.
    public static func uniform(clients: Int) -> SystemModel {
        SystemModel(devices: Array(repeating: .uniform, count: clients))
    }

    /// Heterogeneous devices drawn from the documented distribution (experiments/README.md,
    /// "The simulated clock"); client c's device uses its own stream (seed, round 0, client c,
    /// `.systemModel`), so it does not depend on how many clients there are.
    /// experiments/scripts/make-device-trace.py draws the same devices from the same streams.
    public static func synthetic(clients: Int, seed: UInt64) -> SystemModel {
        SystemModel(devices: (0..<clients).map { syntheticDevice(client: $0, seed: seed) })
    }

    /// The device tiers of `synthetic`: share of clients, and seconds per 1,000 tokens
    /// (feature forward, training, generation).
    static let tiers: [(share: Double, feature: Double, train: Double, generate: Double)] = [
        (0.2, 0.5, 5, 20),  // fast
        (0.5, 1.5, 15, 60),  // mid
        (0.3, 4, 40, 160)  // slow
    ]

    static func syntheticDevice(client: Int, seed: UInt64) -> DeviceProfile {
        var rng = SeededGenerator(seed: seed, round: 0, client: client, purpose: .systemModel)
        let u = unit(&rng)
        let tier = u < tiers[0].share ? 0 : (u < tiers[0].share + tiers[1].share ? 1 : 2)
        let jitter = exp(0.25 * normal(&rng))
        let down = min(500, max(0.5, 20 * exp(normal(&rng))))
        let up = down * (0.1 + 0.4 * unit(&rng))
        let latency = min(1, max(0.005, 0.06 * exp(0.5 * normal(&rng))))
        let dropout = tier == 2 ? 0.05 + 0.15 * unit(&rng) : 0.1 * unit(&rng)
        var availability = Availability.always
        if unit(&rng) >= 0.1 {
            let day = 86_400.0
            let length = 6 * 3600 + 10 * 3600 * unit(&rng)
            let offset = day * unit(&rng)
            typealias W = Availability.Window
            let windows =
                offset + length <= day
                ? [W(start: offset, end: offset + length)]
                : [W(start: 0, end: offset + length - day), W(start: offset, end: day)]
            availability = Availability(period: day, windows: windows)
        }
        let t = tiers[tier]
        return DeviceProfile(
            featureSecondsPer1k: t.feature * jitter, trainSecondsPer1k: t.train * jitter,
            generateSecondsPer1k: t.generate * jitter, downMbps: down, upMbps: up,
            latency: latency, dropout: dropout, availability: availability)
    }

    /// A uniform double in [0, 1) from the top 53 bits of one draw (written out so that other
    /// implementations can draw the same numbers).
    static func unit(_ rng: inout SeededGenerator) -> Double {
        Double(rng.next() >> 11) * 0x1p-53
    }

    /// A standard normal by Box-Muller (cosine branch) from two `unit` draws.
    static func normal(_ rng: inout SeededGenerator) -> Double {
        let u1 = 1 - unit(&rng)
        let u2 = unit(&rng)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

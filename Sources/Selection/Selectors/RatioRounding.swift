/// How a data ratio becomes a per-client sample count (see `RatioCount`).
public enum RatioRounding: String, Sendable, Codable, Equatable, CaseIterable {
    /// floor(n * ratio) plus one with probability frac(n * ratio): the ratio holds over the federation.
    case stochastic
    /// max(1, floor(n * ratio)): every client trains on at least one sample (inflates small clients).
    case floorMin1 = "floor-min1"
}

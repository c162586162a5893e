/// Which source FedHDS's client-side selection follows (`selection.mode`).
///
/// - `paper` (default): paper Eq. 10 and the reference's `client.py` as intended: each centroid
///   is sent with its own cluster id, and for each selected cluster the client trains on that
///   cluster's member nearest to its weighted centroid (never a noise point).
/// - `reference-pairing`: the reference code's pairing defect (ALGORITHM.md step 6): centroid i is sent
///   with the label of SAMPLE i (`zip(cluster_labels, centroids)`).
/// - `reference-shuffle`: the reference code's order defect (ALGORITHM.md step 7): its feature matrix is
///   built by iterating a shuffled `DataLoader`, so row i holds the i-th sample of a random
///   permutation, but it trains on `dataset[i]` in the original order. Each "representative" is
///   then effectively a random sample.
/// - `reference-both`: both defects.
public enum SelectionMode: String, Sendable, Codable, Equatable, CaseIterable {
    case paper
    case referencePairing = "reference-pairing"
    case referenceShuffle = "reference-shuffle"
    case referenceBoth = "reference-both"

    public init(pairingDefect: Bool, shuffleDefect: Bool) {
        switch (pairingDefect, shuffleDefect) {
        case (false, false): self = .paper
        case (true, false): self = .referencePairing
        case (false, true): self = .referenceShuffle
        case (true, true): self = .referenceBoth
        }
    }

    /// Centroid i is sent with the label of sample i.
    public var pairingDefect: Bool { self == .referencePairing || self == .referenceBoth }
    /// Feature rows in a seeded shuffled order, row index trained as a sample index.
    public var shuffleDefect: Bool { self == .referenceShuffle || self == .referenceBoth }
}

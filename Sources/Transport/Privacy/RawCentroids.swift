/// A client's own, un-noised cluster centroids (row-major `clusterIDs.count x dims`). This type
/// never goes on the wire: the only way to turn it into a sendable `Centroids` message is
/// `PrivacyBoundary.release`, which applies the DP mechanism when one is configured.
public struct RawCentroids: Sendable, Equatable {
    public let round: Int
    public let clientID: Int
    public let clusterIDs: [Int]
    public let dims: Int
    public let coordinates: [Float]
    /// Tokens through the feature model behind these centroids (`Centroids.featureTokens`).
    public let featureTokens: Int

    /// Throws when `coordinates.count != clusterIDs.count * dims`, `dims < 1` with clusters present,
    /// or a coordinate is not finite.
    public init(
        round: Int, clientID: Int, clusterIDs: [Int], dims: Int, coordinates: [Float],
        featureTokens: Int = 0
    ) throws {
        guard dims >= 0, dims <= Int(UInt32.max) else {
            throw TransportError.invalidValue(field: "centroids.dims", reason: "\(dims) is out of range")
        }
        if !clusterIDs.isEmpty && dims < 1 {
            throw TransportError.invalidValue(
                field: "centroids.dims", reason: "must be at least 1 when clusters are present")
        }
        guard coordinates.count == clusterIDs.count * dims else {
            throw TransportError.lengthMismatch(
                field: "centroids.coordinates",
                expected: clusterIDs.count * dims, got: coordinates.count)
        }
        if let bad = FloatFrame.firstNonFinite(coordinates) {
            throw TransportError.nonFinite(field: "centroids.coordinates", index: bad)
        }
        self.round = round
        self.clientID = clientID
        self.clusterIDs = clusterIDs
        self.dims = dims
        self.coordinates = coordinates
        self.featureTokens = featureTokens
    }
}

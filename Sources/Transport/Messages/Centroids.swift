/// client -> server: cluster centroids of one client in one round, as released to the network.
/// There is no public initializer: a value is made only by `PrivacyBoundary.release` (client side)
/// or by decoding a received message (server side), so nothing in a client can send centroids
/// around the DP boundary. `privacy` is nil when the boundary had no mechanism configured.
public struct Centroids: Sendable, Equatable {
    public let round: Int
    public let clientID: Int
    public let clusterIDs: [Int]
    public let dims: Int
    /// Row-major `clusterIDs.count x dims`.
    public let coordinates: [Float]
    public let privacy: PrivacyRecord?
    /// Tokens the client ran through its feature model for the features behind these centroids
    /// (a frozen proxy's cached features count as computed; the simulated clock charges them).
    public let featureTokens: Int

    init(
        round: Int, clientID: Int, clusterIDs: [Int], dims: Int, coordinates: [Float], privacy: PrivacyRecord?,
        featureTokens: Int = 0
    ) {
        self.round = round
        self.clientID = clientID
        self.clusterIDs = clusterIDs
        self.dims = dims
        self.coordinates = coordinates
        self.privacy = privacy
        self.featureTokens = featureTokens
    }

    /// Row `i` (the centroid of cluster `clusterIDs[i]`).
    public func centroid(_ i: Int) -> ArraySlice<Float> {
        coordinates[(i * dims)..<((i + 1) * dims)]
    }
}

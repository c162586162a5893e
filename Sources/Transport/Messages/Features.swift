/// client -> server (the GlobalSelect ablation, and Coreset-Cent's one-time upload of last-layer
/// features): the client's feature points, row-major `sampleIDs.count x dims`. This deliberately
/// reveals per-sample features to the server.
public struct Features: Sendable, Equatable {
    public var round: Int
    public var clientID: Int
    public var sampleIDs: [Int]
    public var dims: Int
    public var values: [Float]

    public init(round: Int, clientID: Int, sampleIDs: [Int], dims: Int, values: [Float]) {
        self.round = round
        self.clientID = clientID
        self.sampleIDs = sampleIDs
        self.dims = dims
        self.values = values
    }
}

/// What one client did in one phase of a round, as the simulated clock charges it.
public struct ClientWork: Sendable, Codable, Equatable {
    /// Tokens through the feature model.
    public var featureTokens: Int
    /// Tokens trained (summed over epochs).
    public var trainTokens: Int
    /// Tokens generated.
    public var generatedTokens: Int
    /// Bytes received from the server (its requests).
    public var bytesDown: Int
    /// Bytes sent to the server (its answer).
    public var bytesUp: Int

    public init(
        featureTokens: Int = 0, trainTokens: Int = 0, generatedTokens: Int = 0,
        bytesDown: Int = 0, bytesUp: Int = 0
    ) {
        self.featureTokens = featureTokens
        self.trainTokens = trainTokens
        self.generatedTokens = generatedTokens
        self.bytesDown = bytesDown
        self.bytesUp = bytesUp
    }
}

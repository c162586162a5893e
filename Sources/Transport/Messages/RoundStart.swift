/// server -> worker: round `round` begins for `clientIDs` (the participants hosted by that worker).
/// `method` and `phase` name what to do (e.g. "fedhds", "select"); `seed` is the run seed so that
/// every random draw can be derived from (seed, round, client, purpose); `globalAdapter` is the
/// flattened global trainable parameters (may be empty when the phase does not need them).
public struct RoundStart: Sendable, Equatable {
    public var round: Int
    public var clientIDs: [Int]
    public var method: String
    public var phase: String
    public var seed: UInt64
    public var globalAdapter: [Float]

    public init(round: Int, clientIDs: [Int], method: String, phase: String = "",
                seed: UInt64 = 0, globalAdapter: [Float] = []) {
        self.round = round
        self.clientIDs = clientIDs
        self.method = method
        self.phase = phase
        self.seed = seed
        self.globalAdapter = globalAdapter
    }
}

/// Chooses each round's participants: floor(N * k) distinct clients uniformly at random.
/// With `upfront` (the reference's way) all rounds' lists are drawn in order from one generator
/// of the run; otherwise each round draws from its own stream. Lists are sorted by client id.
public struct ParticipantSampler: Sendable, Equatable, Codable {
    public let clients: Int
    public let perRound: Int
    public let seed: UInt64
    public let upfront: Bool
    /// Every round's list (index 0 = round 1) when drawn up front.
    public let schedule: [[Int]]

    public init(clients: Int, perRound: Int, rounds: Int, seed: UInt64, upfront: Bool) throws {
        guard clients >= 1 else { throw ActorsError.invalidConfiguration("`data.clients` must be at least 1") }
        guard (1...clients).contains(perRound) else {
            throw ActorsError.invalidConfiguration("participants per round \(perRound) must be within 1...\(clients)")
        }
        self.clients = clients
        self.perRound = perRound
        self.seed = seed
        self.upfront = upfront
        if upfront {
            var rng = SeededGenerator(seed: seed, round: 0, client: -1, purpose: .participants)
            schedule = (0..<rounds).map { _ in ParticipantSampler.draw(clients, perRound, &rng) }
        } else {
            schedule = []
        }
    }

    /// Participants of `round` (1-based), sorted.
    public func participants(round: Int) -> [Int] {
        if upfront, round >= 1, round <= schedule.count { return schedule[round - 1] }
        var rng = SeededGenerator(seed: seed, round: round, client: -1, purpose: .participants)
        return ParticipantSampler.draw(clients, perRound, &rng)
    }

    /// `m` distinct values of 0..<n by a partial Fisher-Yates shuffle, sorted.
    static func draw(_ n: Int, _ m: Int, _ rng: inout SeededGenerator) -> [Int] {
        var pool = Array(0..<n)
        for i in 0..<m {
            let j = Int.random(in: i..<n, using: &rng)
            pool.swapAt(i, j)
        }
        return pool[0..<m].sorted()
    }
}

/// What one round did on the simulated clock: when it started and ended, which clients were
/// online and invited, each client's simulated phase times, and who answered, was late, dropped
/// out or was not needed, and why. `SimulatedClock` fills it phase by phase; it is meant as a
/// field of the round's metrics line.
public struct SimulatedRound: Sendable, Codable, Equatable {
    /// The phases of a round, in order (methods without a selection phase only train).
    public enum Phase: String, Sendable, Codable, Equatable, CaseIterable {
        /// Features, clustering and centroids (or features) up to the server.
        case select
        /// Local training and the adapter update up to the server.
        case train
    }

    /// Where a client stands in the round.
    public enum Outcome: String, Sendable, Codable, Equatable {
        /// Still in the round (answered every phase so far on time).
        case active
        /// Its update is one of those the round aggregates.
        case aggregated
        /// Had not answered a phase when its deadline passed.
        case late
        /// Dropped out (its dropout draw, or its availability window closed) before answering.
        case dropped
        /// Over-selection: the round had its first K updates before this client's counted.
        case surplus
    }

    /// One phase of the round on the clock.
    public struct Span: Sendable, Codable, Equatable {
        public var phase: Phase
        /// When the server sent the phase's requests.
        public var opens: Double
        /// Absolute simulated deadline (nil: none).
        public var deadline: Double?
        /// When the phase ended: every client answered or dropped, the first K updates arrived,
        /// or the deadline passed.
        public var closes: Double
    }

    /// One client's simulated times in one phase (seconds; `reports` is absolute).
    public struct PhaseTimes: Sendable, Codable, Equatable {
        public var opens: Double
        public var download: Double
        public var compute: Double
        public var upload: Double
        /// When its answer reaches the server (absent when it dropped out first).
        public var reports: Double?
        /// What it was charged for: tokens and bytes (absent when its host gave no answer).
        public var work: ClientWork?
    }

    /// One invited client.
    public struct Client: Sendable, Codable, Equatable {
        public var outcome: Outcome = .active
        /// Phase times by phase name.
        public var phases: [String: PhaseTimes] = [:]
        /// The phase in which it left the round (late, dropped, surplus).
        public var phase: Phase?
        /// When: the drop, the missed deadline's would-be report, or the surplus report.
        public var at: Double?
        /// Why it is not aggregated, in words.
        public var why: String?
    }

    public var round: Int
    /// Updates the round aggregates at most (K, the participants a round).
    public var target: Int
    /// The phases this round runs, in order.
    public var plan: [Phase]
    /// When the round could have started (the previous round's end).
    public var requested: Double
    /// When it started: `requested`, or later when too few clients were online then.
    public var start: Double
    /// When its last phase closed.
    public var end: Double
    /// Clients online at `start`.
    public var online: Int
    /// Clients invited, sorted.
    public var invited: [Int]
    public var spans: [Span] = []
    /// Every invited client, by id as text.
    public var clients: [String: Client] = [:]

    public init(round: Int, target: Int, plan: [Phase], requested: Double, start: Double, online: Int, invited: [Int]) {
        self.round = round
        self.target = target
        self.plan = plan
        self.requested = requested
        self.start = start
        self.end = start
        self.online = online
        self.invited = invited
        for c in invited { clients[String(c)] = Client() }
    }

    /// Invited clients with `outcome`, sorted.
    public func clients(_ outcome: Outcome) -> [Int] {
        invited.filter { clients[String($0)]?.outcome == outcome }
    }

    /// Aggregated clients (the round's answered updates), sorted.
    public var answered: [Int] { clients(.aggregated) }
    public var late: [Int] { clients(.late) }
    public var dropped: [Int] { clients(.dropped) }
    public var surplus: [Int] { clients(.surplus) }

    /// Clients whose devices computed their features in one of `rounds` (they answered the
    /// select phase, perhaps late, rather than dropping out of it): a frozen proxy's features
    /// are kept on the device, so later rounds do not charge them again.
    public static func featuresComputed(in rounds: [SimulatedRound]) -> Set<Int> {
        var out: Set<Int> = []
        for r in rounds {
            for (id, c) in r.clients where c.phases[Phase.select.rawValue] != nil {
                if c.outcome == .dropped, c.phase == .select { continue }
                if let client = Int(id) { out.insert(client) }
            }
        }
        return out
    }

    /// Every invited client that is not aggregated, with its phase and reason ("train: ..."), as
    /// `RoundMetrics.dropped` words it.
    public var reasons: [String: String] {
        var out: [String: String] = [:]
        for (id, c) in clients where c.outcome != .aggregated && c.outcome != .active {
            out[id] = (c.phase?.rawValue ?? "round") + ": " + (c.why ?? c.outcome.rawValue)
        }
        return out
    }
}

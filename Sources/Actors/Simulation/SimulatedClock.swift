import Foundation

/// Rounds on a simulated clock: who is online when a round starts, whom it invites, and, from
/// what each client did (tokens, bytes) and its device, when each answer reaches the server,
/// who drops out, who misses a deadline and whose updates are aggregated. Pure and seeded: the
/// same system model, seed and work give the same `SimulatedRound`, whatever the host is doing.
///
/// Semantics (experiments/README.md, "The simulated clock"):
/// - a round invites ceil(K x f) clients (K participants a round, f `overSelection`) drawn only
///   among the clients online at its start; when every client is online and f = 1 the draw is
///   the `ParticipantSampler`'s, so the uniform default invites today's participants;
/// - a phase opens when the previous one closed; a client's answer arrives after downloading the
///   request, computing and uploading the answer, at its device's speeds;
/// - an invited client drops out with its device's probability, at a point drawn uniformly over
///   its work in the round's phases, or when its availability window closes;
/// - the last phase closes as soon as K updates arrived (those K are aggregated, the rest are
///   surplus); any phase closes when every client still in it answered or dropped, or at its
///   deadline; clients without an answer by then are late;
/// - the server's own work between phases takes no simulated time.
public struct SimulatedClock: Sendable {
    public let system: SystemModel
    public let seed: UInt64
    /// f >= 1: invite ceil(K x f) clients, aggregate the first K updates.
    public let overSelection: Double
    /// Simulated seconds each phase may last (absent or 0: no deadline).
    public let deadlines: [SimulatedRound.Phase: Double]

    public init(
        system: SystemModel, seed: UInt64, overSelection: Double = 1,
        deadlines: [SimulatedRound.Phase: Double] = [:]
    ) {
        self.system = system
        self.seed = seed
        self.overSelection = overSelection
        self.deadlines = deadlines
    }

    /// ceil(K x f), with K x f rounded to 1e-9 first (10 x 1.3 invites 13, not 14).
    public func invitations(perRound: Int) -> Int {
        let x = (Double(perRound) * overSelection * 1e9).rounded() / 1e9
        return max(perRound, Int(x.rounded(.up)))
    }

    /// Opens round `round` at simulated time `requested` (or later, at the first moment at least
    /// `minOnline` clients are online) and invites its clients among those online. `sampler` is
    /// the run's participant sampler, used when everyone is online and f = 1.
    public func start(
        round: Int, at requested: Double, perRound: Int, plan: [SimulatedRound.Phase],
        sampler: ParticipantSampler? = nil, minOnline: Int = 1
    ) throws -> SimulatedRound {
        guard perRound >= 1, perRound <= system.clients else {
            throw ActorsError.invalidConfiguration(
                "simulated clock: \(perRound) participants a round, with \(system.clients) clients")
        }
        let start = try earliestStart(atOrAfter: requested, minOnline: max(1, minOnline))
        let online = (0..<system.clients).filter { system.devices[$0].availability.isOnline(at: start) }
        let n = min(invitations(perRound: perRound), online.count)
        let invited: [Int]
        if let sampler, online.count == system.clients, n == perRound, sampler.perRound == perRound {
            invited = sampler.participants(round: round)
        } else {
            var rng = SeededGenerator(seed: seed, round: round, client: -1, purpose: .invitation)
            invited = ParticipantSampler.draw(online.count, n, &rng).map { online[$0] }
        }
        return SimulatedRound(
            round: round, target: perRound, plan: plan, requested: requested, start: start,
            online: online.count, invited: invited)
    }

    /// The first moment at or after `t` with at least `m` clients online. Looks two periods of
    /// each client's availability ahead; throws when no such moment is found.
    func earliestStart(atOrAfter t: Double, minOnline m: Int) throws -> Double {
        func count(_ x: Double) -> Int { system.devices.filter { $0.availability.isOnline(at: x) }.count }
        if count(t) >= m { return t }
        var candidates: Set<Double> = []
        for d in system.devices where !d.availability.isAlwaysOnline {
            let a = d.availability
            let base = t - a.position(t)
            for k in 0...2 {
                for w in a.windows {
                    let x = base + Double(k) * a.period + w.start
                    if x > t { candidates.insert(x) }
                }
            }
        }
        for x in candidates.sorted() where count(x) >= m { return x }
        throw ActorsError.invalidConfiguration(
            "simulated clock: fewer than \(m) clients are online together at any time after \(t) s (device trace?)")
    }

    /// Where in the round client `client` drops out: nil, or a point p in [0, phases) meaning
    /// phase floor(p), after the fraction p - floor(p) of its work in that phase.
    public func dropoutPoint(round: Int, client: Int, phases: Int) -> Double? {
        var rng = SeededGenerator(seed: seed, round: round, client: client, purpose: .clientDropout)
        let p = system.devices[client].dropout
        guard SystemModel.unit(&rng) < p else { return nil }
        return SystemModel.unit(&rng) * Double(phases)
    }

    /// Runs the round's next phase on the clock, given what each client still in the round did
    /// (`work`; a client without work is counted as dropped: its host did not answer). Returns the
    /// clients whose answers count, sorted: those still in the round, or after the last phase the
    /// aggregated ones.
    @discardableResult
    public func run(
        _ phase: SimulatedRound.Phase, in record: inout SimulatedRound,
        work: [Int: ClientWork]
    ) throws -> [Int] {
        let index = record.spans.count
        let here = "simulated round \(record.round)"
        guard index < record.plan.count, record.plan[index] == phase else {
            throw ActorsError.protocolViolation(
                "\(here): phase \(phase.rawValue) is not next in \(record.plan.map(\.rawValue))")
        }
        let active = record.clients(.active)
        if let stranger = work.keys.sorted().first(where: { !active.contains($0) }) {
            throw ActorsError.protocolViolation(
                "\(here): work of client \(stranger), which is not in its \(phase.rawValue) phase")
        }
        let opens = record.spans.last?.closes ?? record.start
        let limit = (deadlines[phase] ?? 0) > 0 ? opens + deadlines[phase]! : nil
        let deadlineAt = limit ?? .infinity
        let isLast = index == record.plan.count - 1

        var onTime: [(client: Int, reports: Double)] = []
        var droppedAt: [Double] = []
        var anyLate = false
        for c in active {
            let key = String(c)
            guard let w = work[c] else {
                record.clients[key]!.outcome = .dropped
                record.clients[key]!.phase = phase
                record.clients[key]!.at = opens
                record.clients[key]!.why = "no answer from its host"
                droppedAt.append(opens)
                continue
            }
            let device = system.devices[c]
            var times = SimulatedRound.PhaseTimes(
                opens: opens, download: device.downloadSeconds(w.bytesDown),
                compute: device.computeSeconds(w),
                upload: device.uploadSeconds(w.bytesUp), work: w)
            let busy = times.download + times.compute + times.upload
            let reports = opens + busy
            var drop: (at: Double, why: String)?
            if let p = dropoutPoint(round: record.round, client: c, phases: record.plan.count), Int(p) == index {
                drop = (opens + (p - p.rounded(.down)) * busy, "dropped out (probability \(device.dropout))")
            }
            let offline = device.availability.onlineUntil(record.start)
            if offline < reports, drop.map({ offline < $0.at }) ?? true {
                drop = (offline, "went offline at \(Self.seconds(offline))")
            }
            var client = record.clients[key]!
            if let drop, drop.at < reports, drop.at <= deadlineAt {
                client.outcome = .dropped
                client.at = drop.at
                client.why = drop.why
                client.phase = phase
                droppedAt.append(max(opens, drop.at))
            } else if reports > deadlineAt {
                client.outcome = .late
                client.at = reports
                client.why =
                    "would answer at \(Self.seconds(reports)), "
                    + "after the deadline at \(Self.seconds(deadlineAt))"
                client.phase = phase
                anyLate = true
            } else {
                times.reports = reports
                onTime.append((c, reports))
            }
            client.phases[phase.rawValue] = times
            record.clients[key] = client
        }
        onTime.sort { ($0.reports, $0.client) < ($1.reports, $1.client) }

        var accepted = onTime.map(\.client)
        var closes: Double
        if isLast, onTime.count >= record.target {
            // Over-selection: the first K updates end the round; whoever is still at work is not needed.
            closes = onTime[record.target - 1].reports
            accepted = Array(accepted.prefix(record.target))
            for c in active where !accepted.contains(c) {
                let key = String(c)
                var client = record.clients[key]!
                if client.outcome == .dropped, let at = client.at, at <= closes { continue }
                let reported = onTime.first { $0.client == c && $0.reports <= closes }?.reports
                client.outcome = .surplus
                client.phase = phase
                client.at = reported
                let first = "the first \(record.target) updates"
                client.why =
                    reported.map { "answered at \(Self.seconds($0)), after \(first)" }
                    ?? "still at work when \(first) had arrived"
                record.clients[key] = client
            }
        } else if anyLate {
            closes = deadlineAt
        } else {
            closes = max(opens, max(onTime.map(\.reports).max() ?? opens, droppedAt.max() ?? opens))
        }
        for c in accepted { record.clients[String(c)]!.outcome = isLast ? .aggregated : .active }
        record.spans.append(SimulatedRound.Span(phase: phase, opens: opens, deadline: limit, closes: closes))
        record.end = closes
        return accepted.sorted()
    }

    static func seconds(_ t: Double) -> String { String(format: "%.3f s", t) }
}

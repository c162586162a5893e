import Foundation
import Model
import Selection
import Transport

/// The server of the federation: keeps which worker hosts which client, runs the round protocol
/// over a `ServerEndpoint` (in-process or ZeroMQ: the same code), waits for each phase until every
/// participant answered or the phase's deadline passed (a dead worker's clients count as answered
/// "dropped" at once), clusters the centroids across clients and averages the updates.
/// Malformed, late or unexpected messages are logged as faults and the run goes on.
public actor ServerActor {
    let endpoint: any ServerEndpoint
    let config: RunConfig
    let plan: MethodPlan
    let digest: String
    private var homes: [Int: PeerID] = [:]
    // The open phase: its round, the answer it takes, who is asked, what came back.
    private var phaseRound = 0
    private var phaseType: MessageType?
    private var expected: Set<Int> = []
    private var answers: [Int: Message] = [:]
    private var failed: [Int: String] = [:]
    /// Resumed when every expected client answered or failed, or at the deadline.
    private var phaseWaiter: CheckedContinuation<Void, Never>?
    /// The task in `waitUntilHosted`, resumed when a worker registers or the wait's time is up.
    private var hostWaiter: CheckedContinuation<Void, Never>?
    /// Counts phases, so that a deadline timer of a closed phase wakes nobody.
    private var phaseSerial = 0
    private var phaseLabel = ""
    private var shownDone = -1
    private var roundFaults: [String] = []
    /// Coreset-Cent: the centrally chosen samples of every client (set before round 1).
    private var fixedSelection: [Int: [Int]]?
    /// Where each projection's factors sit in the flat adapter (FlexLoRA's aggregation reads them).
    private(set) var adapterLayout: LoRAAdapter?
    private var eventTask: Task<Void, Never>?
    /// Messages rejected since the last round ended, by kind (`kind(of:)`).
    private var rejected: [String: Int] = [:]
    /// Rejected messages logged one by one per round; the rest are only counted.
    static let rejectedSamples = 5
    /// Set by `shutdown()`: workers that disconnect from now on leave normally.
    private var finishing = false
    /// The simulated clock the rounds run on (nil: the wall clock, deadlines in host seconds).
    private(set) var clock: SimulatedClock?
    let log: @Sendable (String) -> Void
    let progress: @Sendable (String) -> Void

    public init(
        endpoint: any ServerEndpoint, config: RunConfig,
        log: @escaping @Sendable (String) -> Void = { _ in },
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.endpoint = endpoint
        self.config = config
        self.plan = config.method.plan
        self.digest = RunIdentity.configDigest(config)
        self.log = log
        self.progress = progress
    }

    /// Starts consuming the endpoint's events.
    public func start() {
        guard eventTask == nil else { return }
        let events = endpoint.events
        eventTask = Task { [weak self] in
            for await e in events {
                guard let self else { return }
                await self.handle(e)
            }
        }
    }

    /// Runs the rounds on `clock` (nil: the wall clock). On the simulated clock no phase has a
    /// wall deadline: the server waits for every client's real answer (or its host's failure).
    public func useClock(_ clock: SimulatedClock?) { self.clock = clock }

    /// A phase's wall deadline: `seconds` on the wall clock, none on the simulated clock.
    func wallDeadline(_ seconds: Double) -> Double? { clock == nil ? seconds : nil }

    /// Clients that currently have a live worker.
    public var hostedClients: Set<Int> { Set(homes.keys) }

    /// Waits until every client in `clients` is hosted by a registered worker, or throws after
    /// `timeout` seconds naming the missing ones.
    public func waitForClients(_ clients: Set<Int>, timeout: Double) async throws {
        let missing = await waitUntilHosted(clients, seconds: timeout)
        guard missing.isEmpty else {
            let list = missing.sorted().prefix(10).map(String.init).joined(separator: ", ")
            let more = missing.count > 10 ? ", ..." : ""
            throw ActorsError.tooFewResponses(
                round: 0, phase: "register (clients \(list)\(more) have no worker)",
                got: clients.count - missing.count, needed: clients.count)
        }
    }

    /// Waits until a live worker hosts each of `clients` or `seconds` pass; returns the clients
    /// still without one. Woken by each registration (`hostsChanged`) and once by a timer at the
    /// end, never by polling.
    private func waitUntilHosted(_ clients: Set<Int>, seconds: Double) async -> Set<Int> {
        let end = ContinuousClock.now + .milliseconds(Int64(max(0, seconds) * 1000))
        let timer = Task { [weak self] in
            try? await Task.sleep(until: end, clock: .continuous)
            if !Task.isCancelled { await self?.hostsChanged() }
        }
        defer { timer.cancel() }
        while true {
            let missing = clients.subtracting(homes.keys)
            if missing.isEmpty || ContinuousClock.now >= end { return missing }
            await withCheckedContinuation { hostWaiter = $0 }
        }
    }

    /// Wakes `waitUntilHosted` to look again (a worker registered, or its time is up).
    private func hostsChanged() {
        hostWaiter?.resume()
        hostWaiter = nil
    }

    func fault(_ text: String) {
        roundFaults.append(text)
        log(text)
    }

    func handle(_ event: ServerEvent) async {
        switch event {
        case let .message(peer, message):
            await handle(message, from: peer)
        case let .peerLost(peer, error):
            if finishing {  // told to stop: leaving now is the normal end, not a loss
                homes = homes.filter { $0.value != peer }
                log("worker \(peer) left at the end of the run")
                return
            }
            let lost = homes.filter { $0.value == peer }.map(\.key)
            for c in lost { homes[c] = nil }
            for c in lost { markFailed(c, "worker \(peer) lost") }
            fault(
                "worker \(peer) lost (\(error)); its clients \(lost.sorted()) are unavailable until it registers "
                    + "again")
        case let .rejected(peer, error):
            // Anyone who reaches the port can send garbage: count it by kind, log a few samples.
            let kind = Self.kind(of: error)
            rejected[kind, default: 0] += 1
            let total = rejected.values.reduce(0, +)
            if total <= Self.rejectedSamples {
                if case .invalidKey = error {
                    fault("refused a connection: \(error)")
                } else {
                    fault("rejected a message from \(peer.map(\.name) ?? "an unknown peer"): \(error)")
                }
            } else if total == Self.rejectedSamples + 1 {
                log("more messages rejected: counted by kind at the end of the round, not logged one by one")
            }
        }
    }

    func handle(_ message: Message, from peer: PeerID) async {
        switch message {
        case let .register(r):
            guard r.capabilities.contains("config:" + digest) else {
                fault("refused worker \(peer): its configuration differs from the server's")
                let why = "configuration differs from the server's (digest \(digest))"
                try? await endpoint.send(.error(ErrorReport(code: RoundProtocol.refusedCode, text: why)), to: peer)
                try? await endpoint.send(.shutdown(Shutdown(reason: "configuration mismatch")), to: peer)
                return
            }
            // Clients a live worker hosts stay with it: a second worker claiming them is refused.
            let taken = r.clientIDs.filter { homes[$0].map { $0 != peer } ?? false }
            if !taken.isEmpty {
                let owners = Set(taken.compactMap { homes[$0]?.name }).sorted().joined(separator: ", ")
                let list =
                    taken.sorted().prefix(10).map(String.init).joined(separator: ", ")
                    + (taken.count > 10 ? ", ..." : "")
                fault("refused worker \(peer): clients \(list) are hosted by live worker \(owners)")
                let why = "clients \(list) are hosted by live worker \(owners)"
                try? await endpoint.send(.error(ErrorReport(code: RoundProtocol.refusedCode, text: why)), to: peer)
                try? await endpoint.send(.shutdown(Shutdown(reason: RoundProtocol.clientsTaken)), to: peer)
                return
            }
            // A worker that registers again is a new process: whatever its clients were doing in
            // the current phase is lost, so they count as dropped now rather than at the deadline.
            let interrupted = r.clientIDs.filter { expected.contains($0) && answers[$0] == nil && failed[$0] == nil }
            for c in interrupted { markFailed(c, "worker \(peer) restarted during the round") }
            for c in r.clientIDs { homes[c] = peer }
            hostsChanged()
            log("worker \(peer) registered with \(r.clientIDs.count) clients")
            if !interrupted.isEmpty {
                fault("worker \(peer) registered again; clients \(interrupted) of this phase are lost")
            }
        case let .centroids(c):
            accept(c.clientID, c.round, .centroids, message, from: peer)
        case let .features(f):
            accept(f.clientID, f.round, .features, message, from: peer)
        case let .update(u):
            accept(u.clientID, u.round, .update, message, from: peer)
        case let .error(e):
            if e.code == RoundProtocol.clientFailedCode, let c = e.clientID, e.round == phaseRound {
                markFailed(c, e.text)
            }
            fault("worker \(peer) reported: \(e.text)")
        case .shutdown:
            log("worker \(peer) is leaving")
        default:
            fault("unexpected \(message.type) message from \(peer); ignored")
        }
    }

    /// The case name of a transport error (e.g. `badMagic`, `truncated`), for counting.
    static func kind(of error: TransportError) -> String {
        if let label = Mirror(reflecting: error).children.first?.label { return label }
        switch error {
        case .badMagic: return "badMagic"
        case .closed: return "closed"
        default: return "other"
        }
    }

    func accept(_ client: Int, _ round: Int, _ type: MessageType, _ message: Message, from peer: PeerID) {
        guard round == phaseRound, type == phaseType || (phaseType == .centroids && type == .features) else {
            let when =
                round == phaseRound
                ? "for round \(round) but outside the phase that takes it (closed or not yet open)"
                : "for round \(round) during round \(phaseRound)"
            fault("late or unexpected \(type) of client \(client) from \(peer), \(when); ignored")
            return
        }
        guard expected.contains(client), homes[client] == peer else {
            fault("\(type) for client \(client) from \(peer), which was not asked; ignored")
            return
        }
        guard answers[client] == nil else {
            fault("duplicate \(type) of client \(client) in round \(round); ignored")
            return
        }
        answers[client] = message
        phaseMoved()
    }

    /// One phase of a round: opens it (so no answer can arrive before it), sends each worker
    /// hosting some of `clients` its request, and waits until every client answered or failed, or
    /// `deadline` seconds passed (nil: no deadline). `type` is the answer the phase takes
    /// (`.centroids` also takes `.features`).
    func exchange(
        _ type: MessageType, round: Int, clients: [Int], label: String, deadline: Double?,
        make: ([Int]) -> Message
    ) async -> PhaseAnswers {
        phaseSerial += 1
        (phaseRound, phaseType, expected, answers, failed) = (round, type, Set(clients), [:], [:])
        (phaseLabel, shownDone) = (label, -1)
        let unreachable = await broadcast(clients, make)
        for (c, why) in unreachable { markFailed(c, why) }
        phaseMoved()
        if !phaseDone {
            let serial = phaseSerial
            let timer = deadline.map { seconds in
                Task { [weak self] in
                    try? await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
                    await self?.wakePhase(serial)
                }
            }
            await withCheckedContinuation { phaseWaiter = $0 }
            timer?.cancel()
        }
        let got = PhaseAnswers(answers: answers, failed: failed)
        expected = []
        phaseType = nil
        return got
    }

    /// Expected clients that answered or are known failed.
    private var phaseDoneCount: Int {
        answers.count + failed.keys.filter { expected.contains($0) && answers[$0] == nil }.count
    }

    private var phaseDone: Bool { phaseDoneCount >= expected.count }

    /// A client of the open phase failed (lost worker, restart, error report): it counts as
    /// answered "dropped" at once rather than at the deadline.
    private func markFailed(_ client: Int, _ why: String) {
        guard expected.contains(client), answers[client] == nil, failed[client] == nil else { return }
        failed[client] = why
        phaseMoved()
    }

    /// After an answer or a failure: a progress line, and the waiting phase resumes when complete.
    private func phaseMoved() {
        guard phaseType != nil else { return }
        let done = phaseDoneCount
        if done != shownDone {
            let line = "\(phaseLabel) · \(answers.count)/\(expected.count) answered"
            progress("round \(phaseRound)/\(config.rounds) · " + line)
            shownDone = done
        }
        if done >= expected.count { wakePhase(phaseSerial) }
    }

    private func wakePhase(_ serial: Int) {
        guard serial == phaseSerial, let waiter = phaseWaiter else { return }
        phaseWaiter = nil
        waiter.resume()
    }

    /// Sends `make(clients)` to every worker hosting some of `clients`; returns the clients
    /// whose worker could not be reached.
    func broadcast(_ clients: [Int], _ make: ([Int]) -> Message) async -> [Int: String] {
        var byPeer: [PeerID: [Int]] = [:]
        var unreachable: [Int: String] = [:]
        for c in clients {
            if let p = homes[c] { byPeer[p, default: []].append(c) } else { unreachable[c] = "no worker hosts it" }
        }
        for peer in byPeer.keys.sorted(by: { $0.name < $1.name }) {
            let ids = byPeer[peer]!.sorted()
            do { try await endpoint.send(make(ids), to: peer) } catch {
                for c in ids { unreachable[c] = "worker \(peer) unreachable: \(error)" }
            }
        }
        return unreachable
    }

    /// One round (`Round`): selection phase (methods that have one), training phase, FedAvg.
    /// Returns the new global adapter and the round's metrics (without evaluation).
    /// On the simulated clock (`useClock`), `simulated` is the round as `SimulatedClock.start`
    /// opened it (its invited clients are `participants`), `featuresCached` the clients whose
    /// devices hold their proxy features; the metrics carry the finished record. Throws only when
    /// the clock's record and the round disagree (a bug).
    public func runRound(
        _ number: Int, participants: [Int], global: [Float], simulated: SimulatedRound? = nil,
        featuresCached: Set<Int> = []
    ) async throws -> (global: [Float], metrics: RoundMetrics) {
        let start = Date()
        await waitForRejoin(participants, round: number)
        let before = endpoint.traffic.snapshot()
        roundFaults = []
        if clock != nil, simulated?.invited != participants {
            throw ActorsError.protocolViolation(
                "round \(number): on the simulated clock the participants must be "
                    + "the clients its record invited")
        }
        var round = Round(number: number, participants: participants, global: global, simulated: simulated)
        round.featuresCached = featuresCached
        if plan.hasSelectionPhase { try await round.select(on: self) }
        try await round.train(on: self)
        let next = round.aggregate(on: self)
        round.metrics.simulated = round.simulated
        round.metrics.bytes = Self.bytesDelta(before: before, after: endpoint.traffic.snapshot())
        if !rejected.isEmpty {
            let kinds = rejected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            fault("round \(number): \(rejected.values.reduce(0, +)) messages rejected since the last round (\(kinds))")
            rejected = [:]
        }
        round.metrics.faults = roundFaults
        round.metrics.seconds = Date().timeIntervalSince(start)
        return (next, round.metrics)
    }

    /// A participant whose worker died may be on its way back: waits up to `transport.rejoin_grace`.
    func waitForRejoin(_ participants: [Int], round: Int) async {
        let absent = Set(participants).subtracting(homes.keys)
        guard !absent.isEmpty, config.rejoinGrace > 0 else { return }
        progress(
            "round \(round)/\(config.rounds) · waiting up to \(config.rejoinGrace) s for the workers of clients "
                + "\(absent.sorted())")
        _ = await waitUntilHosted(Set(participants), seconds: config.rejoinGrace)
    }

    /// What DP release the round's centroid messages went through; a message without noise while
    /// `privacy.epsilon` is set is a fault (the worker's configuration would have been refused).
    func privacySummary(_ got: [Int: Message], round: Int) -> PrivacySummary? {
        var summary: PrivacySummary?
        var unnoised: [Int] = []
        for c in got.keys.sorted() {
            guard case let .centroids(cs)? = got[c] else { continue }
            guard let p = cs.privacy else { unnoised.append(c); continue }
            if summary == nil {
                summary = PrivacySummary(epsilon: p.epsilon, delta: p.delta, sigma: p.sigma, messages: 0, unnoised: 0)
            } else if summary!.epsilon != p.epsilon || summary!.delta != p.delta {
                fault(
                    "round \(round): client \(c) released centroids with (epsilon \(p.epsilon), delta \(p.delta)), "
                        + "others with (\(summary!.epsilon), \(summary!.delta))")
            }
            summary!.messages += 1
        }
        summary?.unnoised = unnoised.count
        if config.dpEpsilon > 0, !unnoised.isEmpty {
            fault(
                "round \(round): clients \(unnoised) sent centroids without DP noise although privacy.epsilon = "
                    + "\(config.dpEpsilon)")
        }
        return summary
    }

    /// Steps 6 (hierarchical) or the GlobalSelect clustering: what each client trains on.
    func serverSelection(_ got: [Int: Message]) throws -> [Int: [Int]] {
        var centroids: [ClientCentroid] = []
        var points: [(client: Int, points: [Double])] = []
        for c in got.keys.sorted() {
            switch got[c] {
            case let .centroids(cs)?:
                for i in 0..<cs.clusterIDs.count {
                    let point = cs.centroid(i).map(Double.init)
                    centroids.append(ClientCentroid(client: c, cluster: cs.clusterIDs[i], point: point))
                }
            case let .features(f)?:
                points.append((c, f.values.map(Double.init)))
            default: break
            }
        }
        switch plan.selection {
        case .global:
            return try SelectionSteps.globalSelect(points, dims: 2, minClusterSize: config.effectiveMinClusterSize)
        case .coresetCent:
            guard let fixed = fixedSelection else {
                throw ActorsError.protocolViolation("Coreset-Cent has no central selection yet")
            }
            return fixed.filter { got[$0.key] != nil }
        default:
            if !plan.interClient {
                var all: [Int: [Int]] = [:]
                for c in centroids { all[c.client, default: []].append(c.cluster) }
                return all
            }
            return try SelectionSteps.interClient(centroids, minClusterSize: config.serverMinClusterSize)
        }
    }

    /// Coreset-Cent's one-time central step (before round 1): EVERY client (not just a round's
    /// participants) sends the last-layer features of its samples under `adapter` (the initial
    /// adapter, i.e. the base model); the server runs one seeded k-means over all of them and
    /// returns each client's chosen sample indices. The phase deadline is
    /// `transport.feature_deadline` times (clients / participants per round), as it holds that
    /// many rounds' worth of clients. Throws when a client does not answer: a partial pool is not
    /// the centralised selection.
    public func centralCoresetCent(adapter: [Float]) async throws -> [Int: [Int]] {
        let all = Array(0..<config.clients)
        let scale = Double(max(1, config.clients / config.participantsPerRound))
        let phase = await exchange(
            .centroids, round: 0, clients: all, label: "Coreset-Cent features of all clients",
            deadline: wallDeadline(config.featureDeadline * scale)
        ) {
            .roundStart(RoundStart(round: 0, clientIDs: $0, phase: .select, globalAdapter: adapter))
        }
        let got = phase.answers
        var clients: [(client: Int, features: FeatureMatrix)] = []
        var missing: [Int] = []
        for c in all {
            guard case let .features(f)? = got[c] else { missing.append(c); continue }
            clients.append((c, FeatureMatrix(count: f.sampleIDs.count, width: f.dims, values: f.values)))
        }
        guard missing.isEmpty else {
            let why = missing.prefix(5).map { "client \($0): \(phase.reason($0))" }.joined(separator: "; ")
            throw ActorsError.tooFewResponses(
                round: 0, phase: "Coreset-Cent features (\(why)\(missing.count > 5 ? "; ..." : ""))",
                got: clients.count, needed: all.count)
        }
        var rng = SeededGenerator(seed: config.seed, round: 0, client: -1, purpose: .kmeans)
        let chosen = try SelectionSteps.centralCoresetCent(
            clients, ratio: config.ratio, clusters: config.kmeansClusters,
            using: &rng)
        let total = clients.reduce(0) { $0 + $1.features.count }
        let k = min(config.kmeansClusters, total)
        log(
            "Coreset-Cent: \(chosen.values.reduce(0) { $0 + $1.count }) of \(total) samples chosen by one k-means "
                + "(k = \(k)) over \(clients.count) clients")
        return chosen
    }

    /// The adapter layout of the model the run trains (needed by `flexlora`).
    func useAdapterLayout(_ layout: LoRAAdapter?) { adapterLayout = layout }

    /// Coreset-Cent: the central choice the rounds hand out (computed or read from a checkpoint).
    public func setFixedSelection(_ chosen: [Int: [Int]]) {
        fixedSelection = chosen
    }

    static func bytesDelta(before: [TrafficRecord], after: [TrafficRecord]) -> [String: Int] {
        var old: [String: Int] = [:]
        for r in before { old["\(r.type).\(r.direction.rawValue)"] = r.bytes }
        var out: [String: Int] = [:]
        for r in after {
            let k = "\(r.type).\(r.direction.rawValue)"
            let d = r.bytes - (old[k] ?? 0)
            if d > 0 { out[k] = d }
        }
        return out
    }

    /// Tells every worker to stop and closes the endpoint.
    public func shutdown() async {
        finishing = true
        for peer in Set(homes.values).sorted(by: { $0.name < $1.name }) {
            try? await endpoint.send(.shutdown(Shutdown(reason: RoundProtocol.runFinished)), to: peer)
        }
        try? await Task.sleep(nanoseconds: 50_000_000)
        eventTask?.cancel()
        await endpoint.close()
    }
}

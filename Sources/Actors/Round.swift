import Foundation
import Selection
import Transport

/// One round of the protocol as the server runs it, in the order the paper gives: `select` asks
/// the participants for centroids (or features) and picks what each trains on, `train` hands that
/// choice out (or starts local training directly) and collects the updates, `aggregate` averages
/// them. Each step runs on the server's actor (`isolated`), which owns the phase state the
/// workers' answers arrive into. On the simulated clock (`simulated` set) every phase waits for
/// all real answers, and the clock decides from each client's work which of them count.
struct Round {
    let number: Int
    let participants: [Int]
    let global: [Float]
    var metrics: RoundMetrics
    /// Who is asked to train: every participant, or after `select` those that answered it.
    var trainers: [Int]
    /// After `select`: the cluster ids (hierarchical) or sample indices each trainer takes.
    var chosen: [Int: [Int]]?
    /// After `train`: the updates that arrived, in client-id order.
    var updates: [ClientUpdate] = []
    /// The round on the simulated clock (nil: the wall clock).
    var simulated: SimulatedRound?
    /// Simulated clock: clients whose devices already hold their frozen proxy features.
    var featuresCached: Set<Int> = []

    init(number: Int, participants: [Int], global: [Float], simulated: SimulatedRound? = nil) {
        self.number = number
        self.participants = participants
        self.global = global
        self.metrics = RoundMetrics(round: number)
        self.metrics.participants = participants
        self.trainers = participants
        self.simulated = simulated
    }

    /// Steps 2-6: the participants' centroids (or fused points), then the server's selection.
    mutating func select(on server: isolated ServerActor) async throws {
        let (round, global) = (number, global)
        let make: ([Int]) -> Message = {
            .roundStart(RoundStart(round: round, clientIDs: $0, phase: .select, globalAdapter: global))
        }
        let phase = await server.exchange(
            .centroids, round: round, clients: participants, label: "features + clustering",
            deadline: server.wallDeadline(server.config.featureDeadline), make: make)
        let answers = try charge(.select, phase, asked: participants, on: server, request: make)
        for c in participants where answers[c] == nil {
            metrics.dropped[String(c)] = simulated?.reasons[String(c)] ?? "select: " + phase.reason(c)
        }
        trainers = answers.keys.sorted()
        let t0 = Date()
        var selection: [Int: [Int]] = [:]
        do {
            selection = try server.serverSelection(answers)
        } catch {
            server.fault("round \(number): server selection failed: \(error); nobody trains")
        }
        metrics.interClustering = Date().timeIntervalSince(t0)
        for c in trainers {
            if case let .centroids(cs)? = answers[c] { metrics.centroids[String(c)] = cs.clusterIDs.count }
            metrics.selected[String(c)] = selection[c] ?? []
        }
        metrics.privacy = server.privacySummary(phase.answers, round: number)
        chosen = selection
    }

    /// Steps 7-8: each trainer's local training on what it was given (or on what the method
    /// picks locally when there is no selection phase); the updates that come back.
    mutating func train(on server: isolated ServerActor) async throws {
        let (round, global, chosen) = (number, global, chosen)
        let make: ([Int]) -> Message = { ids in
            guard let chosen else {
                return .roundStart(RoundStart(round: round, clientIDs: ids, phase: .train, globalAdapter: global))
            }
            let theirs = Dictionary(uniqueKeysWithValues: ids.map { ($0, chosen[$0] ?? []) })
            return .selection(ClusterSelection(round: round, chosen: theirs))
        }
        let phase = await server.exchange(
            .update, round: number, clients: trainers, label: "local training",
            deadline: server.wallDeadline(server.config.trainDeadline), make: make)
        let answers = try charge(.train, phase, asked: trainers, on: server, request: make)
        for c in trainers where answers[c] == nil {
            metrics.dropped[String(c)] = simulated?.reasons[String(c)] ?? "train: " + phase.reason(c)
        }
        updates = answers.keys.sorted().compactMap {
            if case let .update(u)? = answers[$0] { u } else { nil }
        }
        for u in updates { metrics.add(u) }
        metrics.summarize(updates)
    }

    /// Step 9: FedAvg of the updates that trained (weighted by batches, or equal), when at least
    /// `transport.min_responses` clients answered; otherwise the global adapter stays.
    func aggregate(on server: isolated ServerActor) -> [Float] {
        var contributions: [FedAvg.Contribution] = []
        for u in updates where u.trainBatches > 0 {
            guard u.adapter.count == global.count else {
                server.fault(
                    "client \(u.clientID) sent \(u.adapter.count) adapter values, expected \(global.count); "
                        + "update ignored")
                continue
            }
            contributions.append(.init(client: u.clientID, batches: u.trainBatches, parameters: u.adapter))
        }
        let minimum = server.config.minResponses
        guard metrics.responders.count >= minimum else {
            server.fault(
                "round \(number): \(metrics.responders.count) updates, fewer than transport.min_responses = "
                    + "\(minimum); global adapter kept")
            return global
        }
        let equal = server.config.equalWeight
        do {
            switch server.config.method.plan.aggregation {
            case .fedAvg:
                return try FedAvg.average(contributions, equalWeight: equal) ?? global
            case .flexLoRA:
                guard let layout = server.adapterLayout else {
                    throw ActorsError.invalidConfiguration("FlexLoRA needs the adapter's layout (a model)")
                }
                return try FlexLoRA.aggregate(contributions, layout: layout, equalWeight: equal) ?? global
            }
        } catch {
            server.fault("round \(number): aggregation failed: \(error); global adapter kept")
            return global
        }
    }
}

/// What a phase collected: the answer of each client that answered, and why the others did not.
struct PhaseAnswers {
    var answers: [Int: Message]
    var failed: [Int: String]

    func reason(_ client: Int) -> String { failed[client] ?? "no answer before the deadline" }
}

import Foundation
import Transport

/// A worker process's host: ONE shared read-only base model (inside `compute`) and many
/// clients' actors. It registers its clients with the server, then answers the round protocol
/// message by message; clients are processed one after another in client-id order (the base
/// model's matrix products already use every core).
public actor WorkerHost {
    public let name: String
    let endpoint: any WorkerEndpoint
    let config: RunConfig
    let clients: [Int: ClientActor]
    /// The global adapter each round started with.
    private var roundAdapters: [Int: [Float]] = [:]
    /// Faults seen (logged; the host goes on).
    public private(set) var faults: [String] = []
    private var log: (@Sendable (String) -> Void)?
    /// The server's last error text (e.g. why it refused this worker), named when it sends us away.
    private var refusal: String?

    public init(
        name: String, endpoint: any WorkerEndpoint, config: RunConfig, compute: any FederatedCompute,
        clientIDs: [Int], scatterOutput: URL? = nil, log: (@Sendable (String) -> Void)? = nil
    ) throws {
        self.name = name
        self.endpoint = endpoint
        self.config = config
        var c: [Int: ClientActor] = [:]
        for id in clientIDs {
            guard (0..<compute.clientCount).contains(id) else {
                throw ActorsError.invalidConfiguration(
                    "client \(id) is outside the partition's 0..<\(compute.clientCount)")
            }
            // Fused points of the first few clients that cluster, for the report (`Scatter.keep`).
            c[id] = try ClientActor(id: id, compute: compute, config: config, scatterOutput: scatterOutput)
        }
        self.clients = c
        self.log = log
    }

    /// Registers, then serves until the server says shutdown or goes away. Returns only when the
    /// server said the run is over (`RoundProtocol.runFinished`); throws `ActorsError.workerEnded` when
    /// the server went away (lease, wrong address, refused key) or sent this worker away (refused
    /// configuration, clients hosted elsewhere), so a supervisor knows to restart it.
    public func run() async throws {
        var ending = "the server's messages ended without a shutdown"
        do {
            try await endpoint.send(
                .register(
                    Register(
                        workerID: name, clientIDs: clients.keys.sorted(),
                        capabilities: ["config:" + RunIdentity.configDigest(config)])))
            for try await message in endpoint.incoming {
                if case let .shutdown(s) = message {
                    if s.reason == RoundProtocol.runFinished {
                        await endpoint.close()
                        return
                    }
                    ending =
                        "the server sent this worker away: \(s.reason.isEmpty ? "no reason given" : s.reason)"
                        + (refusal.map { " (\($0))" } ?? "")
                    break
                }
                await handle(message)
            }
        } catch {
            ending = "connection to the server ended: \(error)"
        }
        fault(ending)
        await endpoint.close()
        throw ActorsError.workerEnded(ending)
    }

    func fault(_ text: String) {
        faults.append(text)
        log?("[\(name)] \(text)")
    }

    func handle(_ message: Message) async {
        switch message {
        case let .roundStart(start):
            roundAdapters = roundAdapters.filter { $0.key >= start.round - 1 }
            roundAdapters[start.round] = start.globalAdapter
            for id in start.clientIDs.sorted() {
                guard let client = clients[id] else {
                    fault("round \(start.round): client \(id) is not hosted here"); continue
                }
                do {
                    switch start.phase {
                    case .select:
                        let reply = try await client.selectPhase(round: start.round, adapter: start.globalAdapter)
                        try await endpoint.send(reply)
                    case .train:
                        let update = try await client.trainPhase(
                            round: start.round, adapter: start.globalAdapter, chosen: nil)
                        try await endpoint.send(.update(update))
                    }
                } catch {
                    await report(client: id, round: start.round, error)
                }
            }
        case let .selection(sel):
            guard let adapter = roundAdapters[sel.round] else {
                // E.g. this process was restarted mid-round: tell the server at once.
                for id in sel.chosen.keys.sorted() where clients[id] != nil {
                    let lost = ActorsError.protocolViolation("no state for round \(sel.round) here (worker restarted?)")
                    await report(client: id, round: sel.round, lost)
                }
                return
            }
            for id in sel.chosen.keys.sorted() {
                guard let client = clients[id] else {
                    fault("round \(sel.round): selection for client \(id), not hosted here"); continue
                }
                do {
                    let update = try await client.trainPhase(
                        round: sel.round, adapter: adapter, chosen: sel.chosen[id] ?? [])
                    try await endpoint.send(.update(update))
                } catch {
                    await report(client: id, round: sel.round, error)
                }
            }
        case let .error(e):
            refusal = e.text
            fault("server reported error \(e.code): \(e.text)")
        default:
            fault("unexpected \(message.type) message from the server; ignored")
        }
    }

    /// Tells the server a client failed (so it does not wait for the deadline).
    func report(client: Int, round: Int, _ error: any Error) async {
        fault("round \(round), client \(client): \(error)")
        try? await endpoint.send(
            .error(
                ErrorReport(
                    code: RoundProtocol.clientFailedCode,
                    text: "client \(client) round \(round): \(error)",
                    clientID: client, round: round)))
    }
}

/// Codes and shutdown reasons of the round protocol, shared by server and workers (the phases
/// themselves are `Transport.RoundPhase`).
public enum RoundProtocol {
    /// ErrorReport code: a client failed; the report names it (`clientID`, `round`).
    public static let clientFailedCode: Int32 = 10
    /// Shutdown reason at the end of a run: the only shutdown after which a worker exits 0.
    public static let runFinished = "run finished"
    /// Shutdown reason for a worker that claims clients a live worker hosts.
    public static let clientsTaken = "clients hosted by another live worker"
    /// ErrorReport code: the server refused this worker's registration.
    public static let refusedCode: Int32 = 2
}

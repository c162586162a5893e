import Foundation
import Testing
import Selection
import Transport
@testable import Actors

/// `ArithmeticCompute` that records which samples each client trained on.
struct RecordingCompute: FederatedCompute {
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var trained: [Int: [Int]] = [:]
        func record(_ client: Int, _ samples: [Int]) { lock.lock(); trained[client] = samples; lock.unlock() }
        func samples(_ client: Int) -> [Int]? { lock.lock(); defer { lock.unlock() }; return trained[client] }
    }
    let inner: ArithmeticCompute
    let log = Log()
    var adapterSize: Int { inner.adapterSize }
    var clientCount: Int { inner.clientCount }
    func localCount(client: Int) throws -> Int { try inner.localCount(client: client) }
    func features(client: Int, adapter: [Float]?, model: MethodPlan.FeatureModel, layers: MethodPlan.Layers)
        async throws -> FeatureMatrix
    {
        try await inner.features(client: client, adapter: adapter, model: model, layers: layers)
    }
    func perplexities(client: Int, adapter: [Float]) async throws -> [Double] {
        try await inner.perplexities(client: client, adapter: adapter)
    }
    func train(client: Int, round: Int, samples: [Int], adapter: [Float], optimizer: MethodPlan.Optimizer) async throws
        -> TrainOutcome
    {
        log.record(client, samples)
        return try await inner.train(
            client: client, round: round, samples: samples, adapter: adapter, optimizer: optimizer)
    }
    func initialAdapter() throws -> [Float] { try inner.initialAdapter() }
    func evaluate(adapter: [Float]) async throws -> Double { try await inner.evaluate(adapter: adapter) }
    func testLoss(adapter: [Float]) async throws -> Double { try await inner.testLoss(adapter: adapter) }
}

@Suite struct SelectionModeTests {
    @Test func modeKeyParsesRendersAndAcceptsTheOldBoolean() throws {
        #expect(try RunConfig.parse(toml: "").selectionMode == .paper)
        #expect(
            try RunConfig.parse(toml: "[selection]\nmode = \"reference-shuffle\"").selectionMode == .referenceShuffle)
        #expect(try RunConfig.parse(toml: "[selection]\nreference_defect = true").selectionMode == .referencePairing)
        #expect(try RunConfig.parse(toml: "[selection]\nreference_defect = false").selectionMode == .paper)
        // The old key adds (or removes) the pairing defect to whatever mode says.
        #expect(
            try RunConfig.parse(toml: "[selection]\nmode = \"reference-shuffle\"\nreference_defect = true")
                .selectionMode == .referenceBoth)
        let expected =
            "`selection.mode`: unknown value \"nope\"; expected one of paper, reference-pairing, "
            + "reference-shuffle, reference-both"
        #expect(throws: ActorsError.invalidConfiguration(expected)) {
            try RunConfig.parse(toml: "[selection]\nmode = \"nope\"")
        }
        var c = RunConfig()
        try c.set("selection.reference_defect=true")
        #expect(c.selectionMode == .referencePairing)
        try c.set("selection.mode=reference-both")
        try c.set("selection.ratio_rounding=floor-min1")
        #expect(c.selectionMode == .referenceBoth && c.ratioRounding == .floorMin1)
        let text = c.renderTOML()
        #expect(text.contains("mode = \"reference-both\"") && text.contains("ratio_rounding = \"floor-min1\""))
        #expect(!text.contains("reference_defect"))
        #expect(try RunConfig.parse(toml: text) == c)
        #expect(RunConfig().ratioRounding == .stochastic)
    }

    /// A checkpoint written before `selection.mode` existed: `referenceDefect` true resumes as
    /// reference-pairing, false as paper; a missing new key takes its default.
    @Test func oldCheckpointsMapTheBooleanToTheMode() throws {
        for (old, mode) in [(true, SelectionMode.referencePairing), (false, .paper)] {
            let cp = Checkpoint(
                config: RunConfig(), round: 1,
                sampler: try ParticipantSampler(clients: 4, perRound: 2, rounds: 2, seed: 1, upfront: true),
                metrics: [], evaluations: [:], elapsedSeconds: 0, adapter: [1])
            let data = try cp.encoded()
            let jsonCount = Int(
                data[8..<16].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
            var json = String(decoding: data[16..<(16 + jsonCount)], as: UTF8.self)
            #expect(json.contains("\"selectionMode\":\"paper\",") && json.contains("\"ratioRounding\":\"stochastic\","))
            json = json.replacingOccurrences(of: "\"selectionMode\":\"paper\",", with: "\"referenceDefect\":\(old),")
            json = json.replacingOccurrences(of: "\"ratioRounding\":\"stochastic\",", with: "")
            var bytes = Data(Checkpoint.magic)
            withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(Data(json.utf8))
            // Old checkpoints also predate the integrity digest: the adapter without the trailer.
            bytes.append(data[(16 + jsonCount)..<(data.count - Checkpoint.digestTag.count - 32)])
            let back = try Checkpoint.decode(bytes)
            #expect(back.config.selectionMode == mode && back.config.ratioRounding == .stochastic)
            #expect(!back.verified && back.adapter == [1])
            #expect(back.coresetCent == nil)
        }
    }

    /// The client end to end: in reference-shuffle mode its clustering runs on the feature rows in
    /// a seeded permuted order and it trains on the chosen ROW indices as sample indices; in paper
    /// mode it trains on the chosen samples themselves.
    @Test(arguments: [SelectionMode.paper, .referenceShuffle])
    func clientTrainsOnWhatItsModeSays(_ mode: SelectionMode) async throws {
        var c = RoundProtocolTests.config(.fedhdsNoInter)
        c.selectionMode = mode
        let compute = RecordingCompute(inner: ArithmeticCompute(clientCount: c.clients, seed: c.seed))
        let id = 2, round = 3
        let client = try ClientActor(id: id, compute: compute, config: c)
        let adapter = try compute.initialAdapter()
        guard case let .centroids(sent) = try await client.selectPhase(round: round, adapter: adapter) else {
            Issue.record("expected centroids"); return
        }
        _ = try await client.trainPhase(round: round, adapter: adapter, chosen: sent.clusterIDs)
        let trained = try #require(compute.log.samples(id))
        // The same steps by hand.
        var f = try await compute.features(client: id, adapter: adapter, model: .global, layers: .all)
        let order = SelectionSteps.referenceFeatureOrder(count: f.count, seed: c.seed, round: round, client: id)
        if mode.shuffleDefect { f = SelectionSteps.permuteRows(f, order) }
        var fuse = SeededGenerator(seed: c.seed, round: round, client: id, purpose: .tsne)
        let (local, _, _) = try SelectionSteps.intraClient(f, fusion: .tsne, config: c, using: &fuse)
        #expect(local.clusterCount >= 2 && sent.clusterIDs == Array(0..<local.clusterCount))
        var r = SeededGenerator(seed: c.seed, round: round, client: id, purpose: .shuffle)
        let rows = local.coreset(selectedIDs: sent.clusterIDs, using: &r)
        // Every coreset row is a member of its cluster (the paper's rule), never noise.
        #expect(rows.allSatisfy { local.labels[$0] >= 0 })
        #expect(Set(trained) == Set(rows))
        if mode.shuffleDefect {
            // Mapped back, the rows are other samples: the defect trains on the wrong ones.
            #expect(Set(rows.map { order[$0] }) != Set(trained))
        }
    }
}

/// Random at a ratio under one sample a client: most clients draw 0 and answer with an update that
/// trains nothing; the round goes on without a fault, and only those that trained report a loss.
@Suite struct ZeroSampleClientTests {
    @Test func clientsThatDrawNothingSendNoAdapterAndTheRunGoesOn() async throws {
        var c = RoundProtocolTests.config(.random, clients: 6, rounds: 6)
        c.ratio = 0.01  // 24-40 samples: 0.24-0.40 expected, so mostly 0, sometimes 1
        c.evalBefore = false
        let compute = ArithmeticCompute(clientCount: c.clients, seed: c.seed)
        let dir = RoundProtocolTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await Coordinator.runInProcess(
            config: c, compute: compute,
            options: RunOptions(output: dir, showProgress: false))
        let metrics = try RunOutput.readMetrics(URL(fileURLWithPath: dir + "/metrics.jsonl"))
        var zero = 0, one = 0
        for m in metrics {
            #expect(m.faults.isEmpty && m.dropped.isEmpty && m.responders == m.participants)
            for n in m.coresetSizes.values { if n == 0 { zero += 1 } else { #expect(n == 1); one += 1 } }
            let trained = m.coresetSizes.values.contains { $0 > 0 }
            #expect((m.trainLoss != nil) == trained)
            #expect(m.clientLosses.count == m.coresetSizes.values.filter { $0 > 0 }.count)
        }
        #expect(zero > 0 && one > 0, "zero \(zero), one \(one)")
    }
}

/// Coreset-Cent: one k-means over EVERY client's last-layer features before round 1, kept in the
/// checkpoint; each round the participants train on their centrally chosen samples.
@Suite struct CentralCoresetCentRunTests {
    @Test func chosenSetIsTheCentralSelectionOverAllClients() async throws {
        var c = RoundProtocolTests.config(.coresetCent, clients: 6, rounds: 3)
        c.ratio = 0.05
        c.kmeansClusters = 4
        let compute = RecordingCompute(inner: ArithmeticCompute(clientCount: c.clients, seed: c.seed))
        let dir = RoundProtocolTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try await Coordinator.runInProcess(
            config: c, compute: compute,
            options: RunOptions(output: dir, showProgress: false)
        ).finished
        let cp = try Checkpoint.read(from: URL(fileURLWithPath: dir + "/checkpoint.bin"))
        let central = try #require(cp.coresetCent)
        // Direct computation: all clients' last-layer features under the initial adapter, one k-means.
        let initial = try compute.initialAdapter()
        var all: [(client: Int, features: FeatureMatrix)] = []
        for client in 0..<c.clients {
            all.append(
                (client, try await compute.features(client: client, adapter: initial, model: .global, layers: .last)))
        }
        var rng = SeededGenerator(seed: c.seed, round: 0, client: -1, purpose: .kmeans)
        let direct = try SelectionSteps.centralCoresetCent(all, ratio: c.ratio, clusters: c.kmeansClusters, using: &rng)
        #expect(central == direct)
        let total = try (0..<c.clients).reduce(0) { $0 + (try compute.localCount(client: $1)) }
        #expect(central.values.reduce(0) { $0 + $1.count } == Int((Double(total) * c.ratio).rounded(.up)))
        // Per-client k-means (what `coreset-cent` did before) gives another set.
        var perClient: [Int: [Int]] = [:]
        for (client, f) in all {
            var g = SeededGenerator(seed: c.seed, round: 0, client: client, purpose: .kmeans)
            let m = try Matrix(rows: f.count, cols: f.width, floats: f.values)
            perClient[client] = try CoresetCentSelector(ratio: c.ratio, clusters: c.kmeansClusters).select(
                features: m, using: &g
            ).sorted()
        }
        #expect(perClient != central)
        // Each round every participant trained on exactly its chosen samples.
        let metrics = try RunOutput.readMetrics(URL(fileURLWithPath: dir + "/metrics.jsonl"))
        for m in metrics {
            #expect(m.faults.isEmpty && m.dropped.isEmpty)
            for p in m.participants {
                #expect(m.selected[String(p)] == (central[p] ?? []))
                #expect(m.coresetSizes[String(p)] == (central[p] ?? []).count)
            }
        }
        let last = try #require(metrics.last)
        for p in last.participants where central[p] != nil {
            #expect(Set(compute.log.samples(p) ?? []) == Set(central[p]!))
        }
        #expect(r.selectionMode == "paper")
    }

    @Test func resumeReusesTheStoredSelection() async throws {
        var c = RoundProtocolTests.config(.coresetCent, clients: 6, rounds: 3)
        c.kmeansClusters = 3
        let compute = ArithmeticCompute(clientCount: c.clients, seed: c.seed)
        let whole = RoundProtocolTests.tempDir(), split = RoundProtocolTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: whole); try? FileManager.default.removeItem(atPath: split) }
        let full = try await Coordinator.runInProcess(
            config: c, compute: compute,
            options: RunOptions(output: whole, showProgress: false)
        ).finished
        let stopped = try await Coordinator.runInProcess(
            config: c, compute: compute,
            options: RunOptions(output: split, stopAfterRound: 1, showProgress: false))
        #expect(stopped == .stopped(afterRound: 1))
        // Plant a different stored selection: the resumed run must use it, not recompute.
        let url = URL(fileURLWithPath: split + "/checkpoint.bin")
        var cp = try Checkpoint.read(from: url)
        let stored = try #require(cp.coresetCent)
        let resumed = try await Coordinator.runInProcess(
            config: c, compute: compute,
            options: RunOptions(output: split, resume: true, showProgress: false)
        ).finished
        #expect(resumed.adapterSHA == full.adapterSHA)
        #expect(try Checkpoint.read(from: url).coresetCent == stored)
        cp.coresetCent = Dictionary(uniqueKeysWithValues: (0..<c.clients).map { ($0, [0]) })
        let planted = RoundProtocolTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: planted) }
        cp.round = 1
        cp.metrics = Array(cp.metrics.prefix(1))
        try cp.write(to: URL(fileURLWithPath: planted + "/checkpoint.bin"))
        _ = try await Coordinator.runInProcess(
            config: c, compute: compute,
            options: RunOptions(output: planted, resume: true, showProgress: false))
        let m = try RunOutput.readMetrics(URL(fileURLWithPath: planted + "/metrics.jsonl"))
        #expect(m.count == 3)
        for round in m.dropFirst() { #expect(round.coresetSizes.values.allSatisfy { $0 == 1 }) }
    }
}

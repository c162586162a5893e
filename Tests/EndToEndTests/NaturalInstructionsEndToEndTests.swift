import Data
import Foundation
import Testing
@testable import Actors

/// Natural Instructions (docs/ALGORITHM.md, Data: one client per kept training task, held-out test tasks) on the
/// tiny random model: `experiments/smoke-ni.toml` through the built binary.
@Suite(.serialized) struct NaturalInstructionsEndToEndTests {
    static var config: String { Harness.root.appendingPathComponent("experiments/smoke-ni.toml").path }

    @Test func fedhdsRunsOnTheShippedNaturalInstructions() async throws {
        let dir = Harness.tempDir("ni")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, output) = try await Harness.run(["run", Self.config, "--out", dir + "/run"], log: dir + "/run.log")
        #expect(status == 0, "\(output)")
        let c = try RunConfig.load(path: Self.config)
        let m = try Harness.metrics(dir + "/run")
        let r = try Harness.result(dir + "/run")
        #expect(m.count == c.rounds && r.rounds == c.rounds)
        let compute = try await ModelCompute.make(config: c, configPath: Self.config)
        let fed = compute.federated
        for round in m {
            #expect(round.participants.count == 9)  // floor(96 * 0.10)
            #expect(round.dropped.isEmpty && round.faults.isEmpty, "\(round.dropped) \(round.faults)")
            // Each participant's local data is its task's kept instances (20% of the short ones).
            for (k, n) in round.localSizes { #expect(n == (try fed.clientSamples(Int(k)!).count)) }
            #expect(round.dataRatio < 0.2, "data ratio \(round.dataRatio)")
            #expect(round.centroids.count == round.responders.count)
        }
        #expect(
            m.contains { $0.dataRatio > 0 && $0.trainLoss.map { $0.isFinite && $0 > 0 } == true },
            "no round selected and trained on anything: \(m.map(\.coresetSizes))")
        // Evaluation: greedy decoding on samples of the held-out test tasks, before and after.
        #expect(r.rougeLBefore.map { $0 >= 0 && $0 <= 1 } == true)
        #expect(r.rougeL.map { $0 >= 0 && $0 <= 1 } == true)
        #expect(compute.evaluation.count == c.evalSamples)
        let trainTasks = Set(fed.partition.clientNames)
        #expect(trainTasks.count == 96)
        for s in compute.evaluation {
            #expect(!trainTasks.contains(s.category), "evaluation sample of training task \(s.category)")
            #expect(s.input.unicodeScalars.count < 1024)
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/run/adapter/adapter_model.safetensors"))
        #expect(FileManager.default.fileExists(atPath: dir + "/run/report.html"))
        // predictions.jsonl: the loader's ids with their test task, averaging to the reported Rouge-L.
        let preds = try PredictionsFile.read(URL(fileURLWithPath: dir + "/run/predictions.jsonl"))
        #expect(preds.map(\.id) == compute.evaluation.map(\.id))
        #expect(preds.allSatisfy { $0.task != nil && $0.task == $0.category })
        #expect(preds.map(\.reference) == compute.evaluation.map(\.output))
        #expect(abs(preds.reduce(0.0) { $0 + $1.rougeL } / Double(preds.count) - (r.rougeL ?? -1)) < 1e-12)
    }

    /// NI samples train (responses survive the truncation): one round of FedIT on 4 tasks, at
    /// most 10 instances each.
    @Test func feditTrainsOnNaturalInstructionsTasks() async throws {
        let dir = Harness.tempDir("ni-fedit")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = try RunConfig.load(path: Self.config)
        c.method = .fedit
        c.rounds = 1
        c.participation = 0.05
        c.maxSamplesPerClient = 10
        c.evalBefore = false
        c.evalSamples = 2
        c.maxNewTokens = 4
        let compute = try await ModelCompute.make(config: c, configPath: Self.config)
        let r = try await Coordinator.runInProcess(
            config: c, compute: compute,
            options: RunOptions(output: dir, showProgress: false)
        ).finished
        let m = try Harness.metrics(dir)[0]
        #expect(r.dataRatio == 1)
        #expect(m.responders.count == 4 && m.clientLosses.count == 4, "\(m.clientLosses)")
        #expect(m.trainLoss.map { $0.isFinite && $0 > 0 } == true)
        #expect(m.localSizes.values.reduce(0, +) == m.coresetSizes.values.reduce(0, +))
        // At max_length 1024 (byte tokens) almost every sample keeps response tokens to learn from.
        var kept = 0, all = 0
        for k in m.participants {
            let s = try compute.samples(k, proxy: false)
            all += s.count
            kept += s.filter { $0.lossMask.contains(true) }.count
        }
        #expect(Double(kept) >= 0.9 * Double(all), "\(kept) of \(all) samples keep response tokens")
        print("ni fedit: local \(m.localSizes), loss \(m.trainLoss ?? .nan)")
    }

    @Test func aClientCountThatIsNotTheNumberOfTasksIsRefusedByName() async throws {
        var c = try RunConfig.load(path: Self.config)
        c.clients = 200
        let tooMany =
            "`data.clients` is 200 but the Natural Instructions data keeps 96 training tasks (one client each)"
        await #expect(throws: ActorsError.invalidConfiguration(tooMany)) {
            _ = try await ModelCompute.make(config: c, configPath: Self.config)
        }
    }
}

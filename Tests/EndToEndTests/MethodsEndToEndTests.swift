import Foundation
import Testing
@testable import Actors

/// The real stack (Data, Model, Selection, Transport) on the tiny random model and the shipped
/// Dolly data, in one process.
@Suite(.serialized) struct MethodsEndToEndTests {
    @Test(arguments: Method.allCases)
    func everyMethodCompletesOnTheTinyModel(_ method: Method) async throws {
        let dir = Harness.tempDir(method.rawValue)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = try RunConfig.load(path: Harness.smoke)
        c.method = method
        c.rounds = 1
        c.maxSamplesPerClient = 40
        c.tsneIterations = 250
        c.evalBefore = false
        c.evalSamples = 2
        c.maxNewTokens = 4
        c.ratio = 0.1
        let compute = try await ModelCompute.make(config: c, configPath: Harness.smoke)
        let r = try await Coordinator.runInProcess(config: c, compute: compute, options: RunOptions(output: dir, showProgress: false))
        let m = try Harness.metrics(dir)
        #expect(r.rounds == 1 && m.count == 1)
        #expect(m[0].dropped.isEmpty, "\(m[0].dropped)")
        #expect(m[0].faults.isEmpty, "\(m[0].faults)")
        if method.plan.selection != .hierarchical {  // FedHDS may keep nothing of 3 small clients
            #expect(m[0].trainLoss.map { $0.isFinite && $0 > 0 } == true)
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/adapter/adapter_model.safetensors"))
        if method.plan.selection == .all { #expect(r.dataRatio == 1) } else { #expect(r.dataRatio < 0.5) }
    }

    @Test func fedhdsSelectsUnderTenPercentOfTheShippedDollyPartition() async throws {
        let dir = Harness.tempDir("ratio")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = try RunConfig.load(path: Harness.smoke)
        c.rounds = 1
        c.evalBefore = false
        c.evalSamples = 2
        c.maxNewTokens = 4
        let compute = try await ModelCompute.make(config: c, configPath: Harness.smoke)
        let r = try await Coordinator.runInProcess(config: c, compute: compute, options: RunOptions(output: dir, showProgress: false))
        let m = try Harness.metrics(dir)[0]
        let local = m.localSizes.values.reduce(0, +)
        #expect(local > 1000)  // the participants' whole partitions, not a capped subset
        #expect(r.dataRatio > 0 && r.dataRatio < 0.10, "data ratio \(r.dataRatio)")
        // The server kept fewer clusters than the clients found (redundancy across clients removed).
        #expect(m.centroids.values.reduce(0, +) > m.coresetSizes.values.reduce(0, +))
    }
}

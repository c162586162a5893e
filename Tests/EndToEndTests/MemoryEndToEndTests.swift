import Foundation
import Testing
@testable import Actors

/// Issue #5: "200 clients in one worker process with SmolLM2 stays under 4 GB resident". The
/// built binary runs one short FedHDS-Turbo round with 200 clients of the shipped Dolly data over
/// one shared SmolLM2-135M (the server and the worker host in one process); the test reads the
/// child's peak resident set from wait4.
@Suite(.serialized) struct MemoryEndToEndTests {
    @Test func twoHundredClientsWithSmolLM2StayUnderFourGigabytesResident() async throws {
        let (model, reason) = Harness.smolLM2()
        guard let model else {
            Issue.record(Comment(rawValue: reason))
            return
        }
        let dir = Harness.tempDir("memory")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cfg = try Harness.config(in: dir) {
            $0.name = "memory-200"
            $0.method = .fedhdsTurbo
            ($0.modelPath, $0.modelKind) = (model, .pretrained)
            $0.clients = 200
            $0.rounds = 1
            $0.participation = 0.01  // 2 of 200 clients train
            $0.maxLength = 256
            $0.maxSamplesPerClient = 24
            $0.tsneIterations = 250
            $0.learningRate = 5e-4
            $0.evalBefore = false
            $0.evalSamples = 2
            $0.maxNewTokens = 4
            $0.evalBatchSize = 2
        }
        let (status, rss, output) = try Harness.runMeasuringMemory(
            ["run", cfg, "--out", dir + "/run"], log: dir + "/run.log")
        #expect(status == 0, "\(output)")
        let m = try Harness.metrics(dir + "/run")
        #expect(m.count == 1 && m[0].participants.count == 2)
        #expect(try Harness.result(dir + "/run").rounds == 1)
        let mb = Double(rss) / 1_048_576
        print(
            "memory: 200 clients + SmolLM2-135M (\(URL(fileURLWithPath: model).lastPathComponent)) in one process: peak resident \(String(format: "%.0f", mb)) MB"
        )
        #expect(rss > 50 << 20, "implausibly small peak RSS \(rss) bytes: not measured?")
        #expect(rss < 4 << 30, "peak resident \(mb) MB is over 4 GB")
    }
}

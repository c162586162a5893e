import Foundation
import Testing

/// Issue #3: "memory for a 1024-token SmolLM2 step stays under 3 GB". Runs the built `fedhds
/// train` on one sample cut to 1024 tokens for one step (forward, backward, Adam, adapter saved)
/// and reads the child's peak resident set size from wait4's rusage.
@Suite struct TrainMemoryTests {
    static let limitBytes = 3_000_000_000.0

    @Test func smolLM2StepOn1024TokensStaysUnder3GB() async throws {
        let (found, reason) = Harness.smolLM2()
        let model = try #require(found, Comment(rawValue: reason))
        let dir = Harness.tempDir("train-memory")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A response far longer than 1024 tokens: the sample is cut to exactly 1024.
        let words = (0..<600).map { "word\($0) of a long answer," }.joined(separator: " ")
        let sample = try JSONSerialization.data(withJSONObject: ["instruction": "Write a long list.", "output": words])
        try (String(decoding: sample, as: UTF8.self) + "\n").write(
            toFile: dir + "/sample.jsonl", atomically: true, encoding: .utf8)
        let log = dir + "/train.log"
        let (status, peakBytesInt, output) = try Harness.runMeasuringMemory(
            [
                "train", "--model", model, "--data", dir + "/sample.jsonl", "--epochs", "1",
                "--max-length", "1024", "--out", dir + "/adapter"
            ], log: log)
        let peakBytes = Double(peakBytesInt)
        print(
            String(
                format: "fedhds train, SmolLM2-135M, one 1024-token step: peak RSS %.0f MB (limit %.0f MB)",
                peakBytes / 1e6, Self.limitBytes / 1e6))
        #expect(status == 0, "fedhds train failed:\n\(output)")
        #expect(
            output.contains("step 1/1") && output.contains("tokens 1024"), "expected one 1024-token step:\n\(output)")
        #expect(peakBytes > 100e6, "implausible peak RSS \(peakBytesInt) bytes")
        #expect(peakBytes < Self.limitBytes, "peak RSS \(peakBytes / 1e6) MB exceeds 3 GB")
    }
}

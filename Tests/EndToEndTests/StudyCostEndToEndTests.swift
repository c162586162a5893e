import Foundation
import Testing
@testable import Actors

/// `fedhds study cost` on SmolLM2 with the smallest measurements: it names the CPU, counts the
/// paper partition's tokens as a run draws them, and projects every study run for both alphas.
@Suite(.serialized) struct StudyCostEndToEndTests {
    @Test func printsTheCPUTheTokenCountsAndEveryProjection() async throws {
        guard let model = Harness.smolLM2().path else {
            Issue.record(Comment(rawValue: Harness.smolLM2().reason)); return
        }
        let dir = Harness.tempDir("study-cost")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, out) = try await Harness.run(
            [
                "study", "cost", "--model", model, "--feature-tokens", "150", "--train-samples", "1",
                "--eval-prompts", "2", "--eval-batch", "2", "--proxy-layers", "2",
                "--turbo-layers", "2"
            ], log: dir + "/log")
        #expect(status == 0, "\(out)")
        #expect(out.contains("CPU "))
        // The shipped Dolly file: 1,188 summarization samples held out, 13,823 in the 200 clients.
        #expect(out.contains("200 clients, 13823 training samples"), "\(out)")
        #expect(out.contains("1188 held-out prompts"))
        for alpha in ["alpha 0.5", "alpha 5.0"] { #expect(out.contains(alpha + " (")) }
        for run in [
            "untuned evaluation", "Random 1.5%", "Perplexity 1.5%", "FedHDS (features every round)",
            "FedHDS-Turbo, layer proxy K = 2", "FedIT (all data)"
        ] {
            #expect(out.components(separatedBy: run).count == 3, "\(run) once per alpha")
        }
        // A proxy deeper than the model is refused, naming the option.
        let (bad, message) = try await Harness.run(
            ["study", "cost", "--model", model, "--proxy-layers", "31", "--turbo-layers", "31"],
            log: dir + "/bad.log")
        #expect(bad != 0 && message.contains("--proxy-layers"), "\(message)")
    }
}

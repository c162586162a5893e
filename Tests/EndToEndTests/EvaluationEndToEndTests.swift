import Data
import Foundation
import Model
import Testing
@testable import Actors

/// The built binary: a run's predictions files and provenance, `fedhds eval` (untuned and with
/// the run's adapter) reproducing the run's own evaluations, `compare` over both, `--version`,
/// and adapters in `generate` and `train`.
@Suite(.serialized) struct EvaluationEndToEndTests {
    static func dollyLines() throws -> [[String: Any]] {
        let text = try String(
            contentsOf: Harness.root.appendingPathComponent("data/dolly/databricks-dolly-15k.jsonl"), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:]
        }
    }

    @Test func runWritesPredictionsAndEvalReproducesThem() async throws {
        let dir = Harness.tempDir("predictions")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try Harness.config(in: dir) { c in
            c.rounds = 2
            c.evalRounds = [1]
            c.maxSamplesPerClient = 40
            c.tsneIterations = 250
        }
        let run = dir + "/run"
        let (status, log) = try await Harness.run(["run", config, "--out", run], log: dir + "/run.txt")
        #expect(status == 0, "\(log)")
        let result = try Harness.result(run)
        let dolly = try Self.dollyLines()
        for (name, reported) in [
            ("predictions-round-0.jsonl", result.rougeLBefore), ("predictions-round-1.jsonl", result.evaluations["1"]),
            ("predictions.jsonl", result.rougeL)
        ] {
            let preds = try PredictionsFile.read(URL(fileURLWithPath: run + "/" + name))
            #expect(preds.count == 8, "\(name)")
            // The id is the record's line in the shipped Dolly file; the reference is its response.
            for p in preds {
                #expect(dolly[p.id]["category"] as? String == "summarization" && p.category == "summarization")
                #expect(dolly[p.id]["response"] as? String == p.reference)
                #expect(p.rougeL == RougeL.score(hypothesis: p.prediction, reference: p.reference))
                #expect(p.prediction == p.prediction.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            let mean = preds.reduce(0.0) { $0 + $1.rougeL } / Double(preds.count)
            #expect(
                abs(mean - (reported ?? -1)) < 1e-12, "\(name): mean \(mean), reported \(String(describing: reported))")
        }
        #expect(result.evaluated == 8)
        let p = try #require(result.provenance)
        #expect(
            p.version == FedHDSVersion.version && p.commit != "unknown"
                && p.model.hasPrefix("tiny random model (built in"))
        #expect(p.wallSeconds! > 0 && p.cpuSeconds! > 0 && p.ended != nil && p.cpuModel != "unknown")
        let toml = try String(contentsOfFile: run + "/config.toml", encoding: .utf8)
        #expect(toml.hasPrefix("# ran: fedhds \(FedHDSVersion.version)"))
        #expect(try RunConfig.parse(toml: toml).rounds == 2)
        let report = try String(contentsOfFile: run + "/report.html", encoding: .utf8)
        #expect(report.contains("tiny random model (built in") && report.contains("commit \(p.commit)"))

        // `fedhds eval` without an adapter: the run's round-0 predictions, byte for byte.
        let untuned = dir + "/untuned"
        let (s1, l1) = try await Harness.run(["eval", config, "--out", untuned], log: dir + "/eval1.txt")
        #expect(s1 == 0, "\(l1)")
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: untuned + "/predictions.jsonl"))
                == Data(contentsOf: URL(fileURLWithPath: run + "/predictions-round-0.jsonl")))
        let u = try Harness.result(untuned)
        #expect(u.method == "untuned" && u.rougeL == result.rougeLBefore && u.evaluated == 8 && u.provenance != nil)
        // With the run's adapter: the run's final predictions.
        let tuned = dir + "/tuned"
        let (s2, l2) = try await Harness.run(
            ["eval", config, "--adapter", run + "/adapter", "--out", tuned], log: dir + "/eval2.txt")
        #expect(s2 == 0, "\(l2)")
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: tuned + "/predictions.jsonl"))
                == Data(contentsOf: URL(fileURLWithPath: run + "/predictions.jsonl")))
        #expect(try Harness.result(tuned).rougeL == result.rougeL)
        // An adapter of another LoRA setting is refused, naming the key.
        let (s3, l3) = try await Harness.run(
            ["eval", config, "--adapter", run + "/adapter", "--set", "lora.rank=4", "--out", dir + "/bad"],
            log: dir + "/eval3.txt")
        #expect(s3 != 0 && l3.contains("lora.rank"), "\(l3)")

        // compare over the run and the untuned evaluation.
        let (s4, l4) = try await Harness.run(["compare", run, untuned, "--out", dir + "/cmp"], log: dir + "/cmp.txt")
        #expect(s4 == 0, "\(l4)")
        let md = try String(contentsOfFile: dir + "/cmp/compare.md", encoding: .utf8)
        #expect(
            md.contains("| fedhds | 1 |") && md.contains("| untuned | 1 |") && md.contains("| fedhds | untuned | 8 |"),
            "\(md)")
        #expect(FileManager.default.fileExists(atPath: dir + "/cmp/compare.html"))
    }

    @Test func versionNamesTheCommit() async throws {
        let dir = Harness.tempDir("version")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, out) = try await Harness.run(["--version"], log: dir + "/v.txt")
        #expect(status == 0)
        let head = try #require(FedHDSVersion.git(["rev-parse", "HEAD"], in: Harness.root.path))
        #expect(out.hasPrefix("fedhds \(FedHDSVersion.version) (commit \(head)"), "\(out)")
    }

    @Test func generateAndTrainTakeAnAdapter() async throws {
        let (path, reason) = Harness.smolLM2()
        let model = try #require(path, "\(reason)")
        let dir = Harness.tempDir("adapters")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try ModelLoader.load(path: model).weights.config
        var a = LoRAAdapter(
            config: LoRAConfig(rank: 8, alpha: 16, dropout: 0.05, targets: Projection.all(for: config.architecture)),
            model: config)
        var g = SeededGenerator(state: 3)
        for i in a.parameters.indices { a.parameters[i] = Float.random(in: -0.5...0.5, using: &g) }
        try a.savePEFT(directory: dir + "/adapter", model: config)
        let args = ["generate", "--model", model, "--prompt", "The capital of France is", "--max-new-tokens", "6"]
        let (s0, plain) = try await Harness.run(args, log: dir + "/g0.txt")
        let (s1, adapted) = try await Harness.run(args + ["--adapter", dir + "/adapter"], log: dir + "/g1.txt")
        #expect(s0 == 0 && s1 == 0, "\(plain)\n\(adapted)")
        #expect(plain != adapted, "the adapter changed nothing:\n\(plain)")

        // train --init-adapter starts from the adapter: with a vanishing learning rate it comes back unchanged.
        try #"{"instruction": "Say hi.", "output": "Hi."}"#.write(
            toFile: dir + "/d.jsonl", atomically: true, encoding: .utf8)
        let (s2, l2) = try await Harness.run(
            [
                "train", "--model", model, "--data", dir + "/d.jsonl", "--lr", "1e-30", "--dropout", "0",
                "--init-adapter", dir + "/adapter", "--out", dir + "/trained"
            ], log: dir + "/t.txt")
        #expect(s2 == 0, "\(l2)")
        let back = try LoRAAdapter.loadPEFT(directory: dir + "/trained", model: config)
        let diff = zip(back.parameters, a.parameters).map { abs($0 - $1) }.max() ?? 1
        #expect(diff < 1e-6, "max change \(diff)")
        let (s3, l3) = try await Harness.run(
            [
                "train", "--model", model, "--data", dir + "/d.jsonl", "--rank", "4",
                "--init-adapter", dir + "/adapter", "--out", dir + "/bad"
            ], log: dir + "/t2.txt")
        #expect(s3 != 0 && l3.contains("--init-adapter"), "\(l3)")
    }
}

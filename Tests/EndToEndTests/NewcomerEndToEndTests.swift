import Foundation
import Testing
@testable import Actors

/// What a newcomer meets on day one, through the built binary: a configuration without a model
/// stops and says how to pass one; a run's header names the model and counts in the singular; a
/// requested test loss that cannot be computed is said on the console and in the report;
/// metrics.csv lies beside metrics.jsonl; argument errors print the subcommand's usage; rouge
/// refuses an empty file; generate --input answers without the leading newline.
@Suite(.serialized) struct NewcomerEndToEndTests {
    @Test func aRunWithoutAModelStopsAndSaysHowToPassOne() async throws {
        let dir = Harness.tempDir("no-model")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let demo = Harness.root.appendingPathComponent("experiments/demo.toml").path
        let (status, output) = try await Harness.run(["run", demo, "--out", dir + "/run"], log: dir + "/log")
        #expect(status != 0)
        #expect(
            output.contains("no model") && output.contains("--model") && output.contains("model.kind = \"tiny\""),
            "\(output)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/run/metrics.jsonl"))
    }

    @Test func aOneRoundRunSaysWhatRanAndWhatIsMissing() async throws {
        let dir = Harness.tempDir("one-round")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try Harness.config(in: dir) { c in
            c.rounds = 1
            c.evalBefore = false
            c.evalSamples = 2
            c.maxNewTokens = 2
            c.maxSamplesPerClient = 20
            c.tsneIterations = 250
            c.testLoss = true  // smoke's max_length 192 keeps no summarization response
        }
        let run = dir + "/run"
        let (status, output) = try await Harness.run(["run", config, "--out", run], log: dir + "/log")
        #expect(status == 0, "\(output)")
        #expect(output.contains("1 round, model tiny random model (built in"), "\(output)")
        #expect(output.contains("method fedhds, 1 round in") && !output.contains("1 rounds"), "\(output)")
        #expect(output.contains("warning: eval.test_loss = true, but no test loss"), "\(output)")
        let report = try String(contentsOfFile: run + "/report.html", encoding: .utf8)
        #expect(report.contains("Test loss was requested"))
        let csv = try String(contentsOfFile: run + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        let m = try Harness.metrics(run)
        #expect(csv.count == 1 + m.map(\.participants.count).reduce(0, +))
        #expect(csv.first?.hasPrefix(MetricsTable.columns.joined(separator: ",")) == true)
    }

    @Test func argumentErrorsPrintTheSubcommandsUsage() async throws {
        let dir = Harness.tempDir("usage")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, output) = try await Harness.run(
            [
                "generate", "--model", "m.gguf", "--prompt", "x",
                "--max-new-tokens", "-3"
            ],
            log: dir + "/log")
        #expect(status == 64, "\(output)")
        #expect(
            output.contains("--max-new-tokens must not be negative") && !output.contains("Missing value"),
            "\(output)")
        #expect(output.contains("Usage: fedhds generate") && output.contains("fedhds generate --help"), "\(output)")
        let (s2, o2) = try await Harness.run(["generate", "--model", "m.gguf"], log: dir + "/log2")
        #expect(
            s2 == 64 && o2.contains("give exactly one of --prompt and --input")
                && o2.contains("Usage: fedhds generate"), "\(o2)")
    }

    @Test func rougeRefusesAnEmptyFile() async throws {
        let dir = Harness.tempDir("rouge-empty")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/empty.jsonl", contents: Data())
        let (status, output) = try await Harness.run(["rouge", "--pairs", dir + "/empty.jsonl"], log: dir + "/log")
        #expect(status != 0 && output.contains("holds no pairs"), "\(output)")
        #expect(!output.contains("rouge-l f mean"))
    }

    @Test func generateInputAnswersWithoutTheLeadingNewline() async throws {
        let (path, reason) = Harness.smolLM2()
        let model = try #require(path, "\(reason)")
        let dir = Harness.tempDir("generate-input")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let samples = [
            #"{"instruction": "Name a colour.", "context": "", "response": "Blue.", "category": "open_qa"}"#,
            #"{"instruction": "What is 2 + 2?", "context": "", "response": "4", "category": "open_qa"}"#
        ]
        try samples.joined(separator: "\n").write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        let (status, output) = try await Harness.run(
            [
                "generate", "--model", model, "--input", dir + "/in.jsonl",
                "--max-new-tokens", "8", "--precision", "fp32"
            ],
            log: dir + "/log")
        #expect(status == 0, "\(output)")
        let answers = output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }.compactMap { $0["output"] as? String }
        #expect(answers.count == 2, "\(output)")
        for a in answers {
            #expect(
                !a.isEmpty && a == a.trimmingCharacters(in: .whitespacesAndNewlines),
                "\(a.debugDescription)")
        }
    }
}

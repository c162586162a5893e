import Foundation
import Model
import Testing
@testable import Actors

/// The model is never a surprise: `model.kind` is "pretrained" unless a configuration names the
/// tiny model, a pretrained run without a model stops saying how to pass one, and what ran is what
/// config.toml records.
@Suite struct ModelKindTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func aRunWithoutAModelStopsAndSaysHowToPassOne() throws {
        let c = try RunConfig.parse(toml: "")  // parsing alone succeeds: --model may still come
        #expect(c.modelKind == .pretrained)
        do {
            try c.requireModel()
            Issue.record("an empty model.path was accepted")
        } catch {
            let message = "\(error)"
            #expect(
                message.contains("--model") && message.contains("SmolLM2-135M-Instruct.Q4_1.gguf")
                    && message.contains("model.kind = \"tiny\""), "\(message)")
        }
        #expect(throws: ActorsError.self) { _ = try ModelCompute.loadModel("", config: c) }
        var tiny = c
        tiny.modelKind = .tiny
        try tiny.requireModel()
        #expect(try ModelCompute.loadModel("", config: tiny).name == "tiny-random-llama")
        #expect(tiny.modelDescription.hasPrefix("tiny random model"))
    }

    @Test func theTinyModelIsNamedByKindAndNeverTakesAPath() throws {
        for name in ["smoke.toml", "smoke-ni.toml", "paper-tiny-dolly.toml", "paper-tiny-ni.toml"] {
            let c = try RunConfig.load(path: Self.root.appendingPathComponent("experiments/" + name).path)
            #expect(c.modelKind == .tiny, "\(name)")
        }
        let demo = try RunConfig.load(path: Self.root.appendingPathComponent("experiments/demo.toml").path)
        #expect(demo.modelKind == .pretrained)
        #expect(throws: ActorsError.self) { try demo.requireModel() }
        do {
            _ = try RunConfig.parse(toml: "[model]\nkind = \"tiny\"\npath = \"m.gguf\"")
            Issue.record("kind tiny with a path was accepted")
        } catch {
            #expect("\(error)".contains("model.kind") && "\(error)".contains("m.gguf"), "\(error)")
        }
        var c = try RunConfig.parse(toml: "[model]\nkind = \"tiny\"")
        #expect(try RunConfig.parse(toml: c.renderTOML()) == c)
        try c.set("model.kind=pretrained")
        #expect(c.modelKind == .pretrained)
    }

    /// The new key at its default leaves the run identity as it was, so kept checkpoints resume.
    @Test func theRunIdentityOfAPretrainedRunIgnoresTheNewKey() {
        var c = RunConfig()
        c.modelPath = "/models/m.gguf"
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        var n = c
        (n.name, n.rounds, n.evalBefore, n.evalBatchSize, n.maxNewTokens) = ("", 0, false, 1, 1)
        (n.featureDeadline, n.trainDeadline, n.evalDeadline, n.rejoinGrace, n.participation) = (1, 1, 1, 0, 1)
        let before = RunConfig.fields.filter { $0.key != "model.kind" }.map { "\($0.key)=\($0.render(n))" }
        for b in before.joined(separator: "\n").utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        #expect(RunIdentity.configDigest(c) == String(h, radix: 16))
        var tiny = RunConfig()
        tiny.modelKind = .tiny
        #expect(RunIdentity.configDigest(tiny) != RunIdentity.configDigest(RunConfig()))
    }

    /// config.toml records the precision that ran, with what was requested in its head comment.
    @Test func theEffectiveConfigurationRecordsThePrecisionThatRan() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kind-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = RunConfig()
        (c.modelKind, c.precision) = (.tiny, .bfloat16)
        var ran = Provenance.start(config: c)
        (ran.precision, ran.kernelPath) = ("fp32", "fp32")  // as on a CPU without a bfloat16 unit
        let out = try RunOutput(folder: dir)
        try out.writeConfig(c, ran: ran)
        let text = try String(contentsOf: out.configURL, encoding: .utf8)
        #expect(try RunConfig.parse(toml: text).precision == .float32)
        #expect(text.contains("precision fp32 (bf16 requested"), "\(text.prefix(400))")
        #expect(text.contains("model tiny random model"))
    }

    @Test func adaptersNameABaseModelPEFTCanFind() throws {
        #expect(
            PEFTBaseModel.name(forModel: "/x/SmolLM2-135M-Instruct.Q4_1.gguf") == "HuggingFaceTB/SmolLM2-135M-Instruct")
        #expect(PEFTBaseModel.name(forModel: "SmolLM2-135M-Instruct.gguf") == "HuggingFaceTB/SmolLM2-135M-Instruct")
        #expect(PEFTBaseModel.name(forModel: "/x/other.Q4_0.gguf") == "/x/other.Q4_0.gguf")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(PEFTBaseModel.name(forModel: folder.path) == folder.standardizedFileURL.path)
    }
}

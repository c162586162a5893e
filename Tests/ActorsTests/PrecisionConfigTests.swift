import Foundation
import Testing
@testable import Actors

/// The `precision` key: default fp32, read from TOML and from `--set`, rendered back, refused
/// with a message naming the key and the value when unknown, and handed to the decoder.
@Suite struct PrecisionConfigTests {
    @Test func precisionKeyParsesOverridesAndRendersBack() throws {
        #expect(try RunConfig.parse(toml: "").precision.rawValue == "bf16")
        let fromFile = try RunConfig.parse(toml: "precision = \"bf16\"\n[data]\nclients = 20\n")
        #expect(fromFile.precision.rawValue == "bf16")
        var fromSet = RunConfig()
        fromSet.clients = 20
        try fromSet.set("precision=bf16")
        #expect(fromSet == fromFile)
        #expect(try RunConfig.parse(toml: fromSet.renderTOML()) == fromSet)
        do {
            _ = try RunConfig.parse(toml: "precision = \"fp16\"")
            Issue.record("fp16 was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains("precision") && message.contains("fp16") && message.contains("bf16"), "\(message)")
        }
        #expect(throws: ActorsError.self) {
            var c = RunConfig(); try c.set("precision=16")
        }
    }

    @Test func theDecoderGetsTheConfiguredPrecision() throws {
        var config = RunConfig()
        config.modelKind = .tiny
        let model = try ModelCompute.loadModel("", config: config)
        #expect(model.decoder.precision == .bfloat16)  // the default
        #expect(model.decoder.effectivePrecision == .bfloat16.effective)
        config.precision = .float32
        #expect(try ModelCompute.loadModel("", config: config).decoder.precision == .float32)
    }
}

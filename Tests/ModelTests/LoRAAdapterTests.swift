import Testing
@testable import Model

@Suite struct LoRAAdapterTests {
    let smol = ModelConfig(
        architecture: .llama, vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536,
        layerCount: 30, headCount: 9, kvHeadCount: 3, contextLength: 8192,
        ropeTheta: 100000, normEpsilon: 1e-5, tiedEmbeddings: true)

    @Test func paperAdapterOnSmolLM2HasPEFTParameterCount() {
        // PEFT reports 2,442,240 trainable parameters for r=8 on all 7 projections of SmolLM2-135M.
        let adapter = LoRAAdapter(config: .paper(for: .llama), model: smol)
        #expect(adapter.parameters.count == 2_442_240)
        #expect(adapter.views.count == 30 * 7)
        let k = adapter.view(layer: 3, projection: .k)!
        #expect(k.inFeatures == 576 && k.outFeatures == 192)
        #expect(k.bOffset == k.aOffset + 8 * 576)
    }

    @Test func viewsTileTheVectorWithoutGaps() {
        let adapter = LoRAAdapter(
            config: .paper(for: .gpt2),
            model: ModelConfig(
                architecture: .gpt2, vocabSize: 100, hiddenSize: 16,
                intermediateSize: 64, layerCount: 2, headCount: 2,
                kvHeadCount: 2, contextLength: 32, tiedEmbeddings: true))
        var next = 0
        for v in adapter.views {
            #expect(v.aOffset == next)
            #expect(v.bOffset == v.aOffset + 8 * v.inFeatures)
            next = v.bOffset + v.outFeatures * 8
        }
        #expect(next == adapter.parameters.count)
    }
}

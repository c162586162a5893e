import Foundation
import Testing
@testable import Model

/// The -Turbo layer proxy (`Decoder.lastTokenFeatures(_:layers:)`): its features are the full
/// model's first K+1 slots exactly, it runs only K blocks, and K = L is the full feature.
@Suite struct LayerProxyTests {
    static let configs = [InferenceFixtures.llamaConfig, InferenceFixtures.gpt2Config]

    @Test(arguments: configs)
    func proxyFeaturesAreTheFirstSlotsOfTheFullFeatures(config: ModelConfig) throws {
        let decoder = Decoder(weights: InferenceFixtures.model(config))
        let d = config.hiddenSize, L = config.layerCount
        let seqs = InferenceFixtures.sequences(lengths: [5, 17, 1, 30, 9], vocab: config.vocabSize, seed: 21)
        // Small passes, so several groups of sequences run (and one sequence alone).
        for tokens in [4096, 20] {
            let full = try decoder.lastTokenFeatures(seqs, maxTokensPerPass: tokens)
            for k in 1...L {
                let proxy = try decoder.lastTokenFeatures(seqs, layers: k, maxTokensPerPass: tokens)
                #expect(proxy.count == seqs.count)
                for (s, row) in proxy.enumerated() {
                    #expect(row.count == (k + 1) * d)
                    #expect(row == Array(full[s].prefix((k + 1) * d)), "K = \(k), sequence \(s)")
                }
            }
        }
        // Slot K < L is the raw output of block K: the full feature's last slot (after the final
        // norm) differs from it.
        let raw = try decoder.lastTokenFeatures(seqs, layers: L - 1)
        #expect(raw[0].count == L * d)
        #expect(try decoder.lastTokenFeatures(seqs, layers: L) == decoder.lastTokenFeatures(seqs))
    }

    /// Blocks beyond K are never run: with NaN weights there the proxy stays finite and equal to
    /// the intact model's proxy (whose full features would be NaN).
    @Test func onlyTheFirstKBlocksRun() throws {
        let config = InferenceFixtures.llamaConfig
        let intact = InferenceFixtures.model(config)
        var broken = intact
        for l in 1..<config.layerCount {
            for p in Array(broken.layers[l].projections.keys) {
                for i in broken.layers[l].projections[p]!.weight.data.indices {
                    broken.layers[l].projections[p]!.weight.data[i] = .nan
                }
            }
        }
        let seqs = InferenceFixtures.sequences(lengths: [6, 11], vocab: config.vocabSize, seed: 4)
        let proxy = try Decoder(weights: broken).lastTokenFeatures(seqs, layers: 1)
        #expect(proxy == (try Decoder(weights: intact).lastTokenFeatures(seqs, layers: 1)))
        #expect(proxy.allSatisfy { $0.allSatisfy(\.isFinite) })
        #expect(try Decoder(weights: broken).lastTokenFeatures(seqs).contains { $0.contains { !$0.isFinite } })
    }

    @Test func layerCountsOutsideTheModelAreRefused() throws {
        let config = InferenceFixtures.llamaConfig
        let decoder = Decoder(weights: InferenceFixtures.model(config))
        for k in [0, -1, config.layerCount + 1] {
            #expect(throws: ModelError.self) { try decoder.lastTokenFeatures([[1, 2]], layers: k) }
        }
        #expect(throws: ModelError.self) { try decoder.lastTokenFeatures([[]], layers: 1) }
    }
}

/// The layer proxy on SmolLM2-135M (30 blocks) over two prompts of the SmolLM2 golden, in float32
/// and in the bfloat16 path (whichever runs on this CPU): equal to the first (K+1)*d values of the
/// full feature for K = 2, 8, 15, 29, and K = 30 is the full feature.
@Suite(.serialized) struct LayerProxySmolLM2Tests {
    @Test(arguments: [Precision.float32, .bfloat16])
    func proxyFeaturesAreTheFirstSlotsOfTheFullFeatures(precision: Precision) throws {
        let base = try InferenceSmolLM2Tests.decoder.get()
        let decoder = Decoder(weights: base.weights, precision: precision)
        let c = decoder.config, d = c.hiddenSize
        #expect(c.layerCount == 30)
        let seqs = InferenceSmolLM2Tests.golden.prompts.prefix(2).map(\.tokens)
        let full = try decoder.lastTokenFeatures(seqs)
        for k in [2, 8, 15, 29] {
            let proxy = try decoder.lastTokenFeatures(seqs, layers: k)
            for s in seqs.indices {
                #expect(proxy[s] == Array(full[s].prefix((k + 1) * d)), "K = \(k), prompt \(s), \(precision)")
            }
        }
        #expect(try decoder.lastTokenFeatures(seqs, layers: 30) == full)
    }
}

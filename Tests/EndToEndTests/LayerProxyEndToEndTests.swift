import Foundation
import Model
import Testing
@testable import Actors

/// `model.proxy_layers`: the -Turbo feature model made of the base model's first K layers, in a
/// run's compute and end to end through `fedhds run`.
@Suite(.serialized) struct LayerProxyEndToEndTests {
    /// The proxy's features of a client are the first (K+1)*d values of the base model's (frozen)
    /// features; the last-layer variant is its slot K; the base model's own features are unchanged.
    @Test func proxyFeaturesAreTheBaseModelsFirstSlots() async throws {
        var c = try RunConfig.load(path: Harness.smoke)
        c.proxyLayers = 1
        c.maxSamplesPerClient = 12
        let compute = try await ModelCompute.make(config: c, configPath: Harness.smoke)
        let d = compute.base.decoder.config.hiddenSize
        #expect(compute.base.decoder.config.layerCount == 2)
        for client in [0, 5] {
            let full = try await compute.features(client: client, adapter: nil, model: .global, layers: .all)
            let proxy = try await compute.features(client: client, adapter: nil, model: .proxy, layers: .all)
            let last = try await compute.features(client: client, adapter: nil, model: .proxy, layers: .last)
            #expect(full.width == 3 * d && proxy.width == 2 * d && last.width == d)
            #expect(proxy.count == full.count && proxy.count > 0)
            for r in 0..<full.count {
                let fullRow = full.values[(r * full.width)..<(r * full.width + 2 * d)]
                #expect(
                    Array(proxy.values[(r * 2 * d)..<((r + 1) * 2 * d)]) == Array(fullRow), "client \(client) row \(r)")
                #expect(Array(last.values[(r * d)..<((r + 1) * d)]) == Array(fullRow.suffix(d)))
            }
        }
        var deep = c
        deep.proxyLayers = 3
        await #expect(throws: ActorsError.self) {
            _ = try await ModelCompute.make(config: deep, configPath: Harness.smoke)
        }
    }

    /// FedHDS-Turbo with a one-layer proxy runs to the end through the binary, and the run's
    /// config.toml records the key; a proxy deeper than the model is refused, naming the key.
    @Test func turboWithALayerProxyRunsEndToEnd() async throws {
        let dir = Harness.tempDir("proxy-layers")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = try Harness.config(in: dir) {
            $0.method = .fedhdsTurbo
            $0.rounds = 2
            $0.proxyLayers = 1
            $0.maxSamplesPerClient = 40
            $0.evalBefore = false
            $0.evalSamples = 2
            $0.maxNewTokens = 4
        }
        let (status, output) = try await Harness.run(["run", input, "--out", dir + "/run"], log: dir + "/log")
        #expect(status == 0, "\(output)")
        let recorded = try RunConfig.load(path: dir + "/run/config.toml")
        #expect(recorded.proxyLayers == 1 && recorded.method == .fedhdsTurbo)
        let m = try Harness.metrics(dir + "/run")
        #expect(m.count == 2)
        #expect(m.allSatisfy { $0.dropped.isEmpty && $0.faults.isEmpty })
        let (bad, message) = try await Harness.run(
            ["run", input, "--out", dir + "/bad", "--set", "model.proxy_layers=3"], log: dir + "/bad.log")
        #expect(bad != 0)
        #expect(message.contains("model.proxy_layers"), "\(message)")
    }
}

import Foundation
import Testing
@testable import Actors
import Model

/// The `flexlora` server step over a whole adapter: each projection's slice goes through
/// `LowRankMean` (its numbers are checked against numpy in ModelTests/LowRankMeanTests), with
/// FedAvg's weights, client order and skipped clients.
@Suite struct FlexLoRATests {
    static let model = ModelConfig(
        architecture: .llama, vocabSize: 32, hiddenSize: 8, intermediateSize: 12,
        layerCount: 2, headCount: 2, kvHeadCount: 1, contextLength: 16, tiedEmbeddings: true)
    static let lora = LoRAConfig(rank: 2, alpha: 4, dropout: 0, targets: [.q, .v, .down])

    /// Each projection's update scale * B A, row-major [out, in].
    static func products(_ p: [Float], _ layout: LoRAAdapter) -> [[Double]] {
        let r = layout.config.rank, s = Double(layout.config.scale)
        return layout.views.map { v in
            var m = [Double](repeating: 0, count: v.outFeatures * v.inFeatures)
            for i in 0..<v.outFeatures {
                for j in 0..<v.inFeatures {
                    var x = 0.0
                    for k in 0..<r {
                        x += Double(p[v.bOffset + i * r + k]) * Double(p[v.aOffset + k * v.inFeatures + j])
                    }
                    m[i * v.inFeatures + j] = s * x
                }
            }
            return m
        }
    }

    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed, round: 0, client: 0, purpose: .loraInit)
        return (0..<n).map { _ in Float.random(in: -1...1, using: &g) }
    }

    @Test func withASharedAThePreciseMeanIsRankRAndFlexLoRAReturnsItExactly() throws {
        let layout = LoRAAdapter(config: Self.lora, model: Self.model)
        let shared = Self.random(layout.parameters.count, seed: 1)
        // Same A everywhere, different B: sum w_i s B_i A = s (sum w_i B_i) A has rank r, so
        // FlexLoRA's product equals FedAvg's product exactly (up to float rounding).
        var updates: [FedAvg.Contribution] = []
        for (client, batches) in [(4, 3), (1, 1), (9, 0), (2, 6)] {
            var p = Self.random(layout.parameters.count, seed: UInt64(10 + client))
            for v in layout.views {
                for i in 0..<(Self.lora.rank * v.inFeatures) { p[v.aOffset + i] = shared[v.aOffset + i] }
            }
            updates.append(FedAvg.Contribution(client: client, batches: batches, parameters: p))
        }
        let flex = try #require(try FlexLoRA.aggregate(updates, layout: layout, equalWeight: false))
        let avg = try #require(try FedAvg.average(updates, equalWeight: false))
        for (x, y) in zip(Self.products(flex, layout), Self.products(avg, layout)) {
            #expect(zip(x, y).allSatisfy { abs($0 - $1) < 1e-5 })
        }
        // Arrival order does not matter.
        #expect(try FlexLoRA.aggregate(updates.reversed(), layout: layout, equalWeight: false) == flex)
    }

    @Test func withDifferentFactorsItBeatsAveragingTheFactors() throws {
        let layout = LoRAAdapter(config: Self.lora, model: Self.model)
        let updates = (0..<3).map {
            FedAvg.Contribution(
                client: $0, batches: $0 + 1,
                parameters: Self.random(layout.parameters.count, seed: UInt64(20 + $0)))
        }
        let flex = try #require(try FlexLoRA.aggregate(updates, layout: layout, equalWeight: false))
        let avg = try #require(try FedAvg.average(updates, equalWeight: false))
        // The true mean update of each projection, and how far each method's product is from it.
        var mean = Self.products(updates[0].parameters, layout).map { $0.map { _ in 0.0 } }
        for u in updates {
            for (v, p) in Self.products(u.parameters, layout).enumerated() {
                for i in p.indices { mean[v][i] += Double(u.batches) / 6 * p[i] }
            }
        }
        func distance(_ x: [[Double]]) -> [Double] {
            zip(x, mean).map { zip($0, $1).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        }
        for (f, a) in zip(distance(Self.products(flex, layout)), distance(Self.products(avg, layout))) {
            #expect(f < a, "FlexLoRA \(f) vs averaged factors \(a)")
        }
        #expect(
            try FlexLoRA.aggregate(
                updates.map {
                    var u = $0; u.batches = 0; return u
                }, layout: layout, equalWeight: false) == nil)
        var short = updates
        short[1].parameters.removeLast()
        #expect { try FlexLoRA.aggregate(short, layout: layout, equalWeight: false) } throws: {
            "\($0)".contains("client 1")
        }
    }
}

import Foundation
@testable import Actors

/// A stand-in for the model in runtime tests: features with planted clusters, "training" that
/// moves the adapter toward a client-specific target sample by sample (so order matters), and a
/// score that rises as the adapter nears the mean target. It lets the round protocol (deadlines,
/// drops, resume, determinism) be tested apart from the numerics of Model/Selection.
struct ArithmeticCompute: FederatedCompute {
    let clientCount: Int
    let adapterSize = 32
    let seed: UInt64
    /// Seconds a client's training takes (to test deadlines).
    var trainDelay: [Int: Double] = [:]
    /// Clients whose training throws.
    var failing: Set<Int> = []

    func localCount(client: Int) throws -> Int { 24 + (client * 7) % 17 }

    /// 40 to 129 tokens a sample, the same through every model (the simulated clock charges them).
    func tokenCounts(client: Int, model: MethodPlan.FeatureModel) throws -> [Int] {
        (0..<(try localCount(client: client))).map { 40 + ($0 * 13 + client * 7) % 90 }
    }

    func features(client: Int, adapter: [Float]?, model: MethodPlan.FeatureModel, layers: MethodPlan.Layers)
        async throws -> FeatureMatrix
    {
        let n = try localCount(client: client), w = 6
        var rng = SeededGenerator(seed: seed, round: 0, client: client, purpose: .other)
        var v = [Float](repeating: 0, count: n * w)
        for i in 0..<n {
            let k = i % 4
            for j in 0..<w { v[i * w + j] = Float(k == j % 4 ? 10 : 0) + Float.random(in: -0.5...0.5, using: &rng) }
        }
        return FeatureMatrix(count: n, width: w, values: v)
    }

    func perplexities(client: Int, adapter: [Float]) async throws -> [Double] {
        (0..<(try localCount(client: client))).map { Double(($0 * 37 + client) % 11) }
    }

    func target(_ client: Int, _ j: Int) -> Float { Float(sin(Double(client * 3 + j))) }

    func train(client: Int, round: Int, samples: [Int], adapter: [Float], optimizer: MethodPlan.Optimizer) async throws
        -> TrainOutcome
    {
        if let d = trainDelay[client] { try await Task.sleep(nanoseconds: UInt64(d * 1e9)) }
        if failing.contains(client) { throw ActorsError.module("client \(client) failed on purpose") }
        var p = adapter
        var loss = 0.0
        for s in samples {
            for j in 0..<p.count {
                let t = target(client, j) + Float(s % 5) * 0.01
                loss += Double(abs(t - p[j]))
                p[j] += (optimizer == .adam ? 0.1 : 0.05) * (t - p[j])
            }
        }
        return TrainOutcome(adapter: p, loss: loss / Double(max(1, samples.count * p.count)), batches: samples.count)
    }

    func initialAdapter() throws -> [Float] {
        var rng = SeededGenerator(seed: seed, round: 0, client: -1, purpose: .loraInit)
        return (0..<adapterSize).map { _ in Float.random(in: 1...2, using: &rng) }
    }

    func evaluate(adapter: [Float]) async throws -> Double {
        var d = 0.0
        for j in 0..<adapter.count {
            let mean = (0..<clientCount).reduce(Float(0)) { $0 + target($1, j) } / Float(clientCount)
            d += Double(abs(adapter[j] - mean))
        }
        return 1 / (1 + d / Double(adapter.count))
    }

    func testLoss(adapter: [Float]) async throws -> Double { 1 - (try await evaluate(adapter: adapter)) }
}

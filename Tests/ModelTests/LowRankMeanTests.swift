import Foundation
import Testing
import TestSupport
@testable import Model

/// FlexLoRA's low-rank mean against numpy's direct SVD of the explicitly formed mean update
/// (Golden/flexlora/make_golden.py) and against the same decomposition done directly here.
@Suite struct LowRankMeanTests {
    struct Golden {
        let out: Int, inputs: Int
        let clients: [LowRankMean.Factors]
        let mean: [Double]
        let singularValues: [Double]
        let best: [Int: [Double]]
    }

    static func golden() throws -> Golden {
        let j = try LoadingFixtures.json("flexlora/flexlora.json")
        let clients = (j["clients"] as! [[String: Any]]).map { c in
            LowRankMean.Factors(
                a: (c["a"] as! [Double]).map(Float.init), b: (c["b"] as! [Double]).map(Float.init),
                rank: c["rank"] as! Int, scale: c["scale"] as! Double, weight: c["weight"] as! Double)
        }
        var best: [Int: [Double]] = [:]
        for (k, v) in j["best_rank"] as! [String: [Double]] { best[Int(k)!] = v }
        return Golden(
            out: j["out"] as! Int, inputs: j["in"] as! Int, clients: clients, mean: j["mean"] as! [Double],
            singularValues: j["singular_values"] as! [Double], best: best)
    }

    /// scale * B A, row-major [out, in].
    static func product(_ f: (a: [Float], b: [Float]), rank: Int, scale: Double, out: Int, inputs: Int) -> [Double] {
        var p = [Double](repeating: 0, count: out * inputs)
        for i in 0..<out {
            for j in 0..<inputs {
                var s = 0.0
                for k in 0..<rank { s += Double(f.b[i * rank + k]) * Double(f.a[k * inputs + j]) }
                p[i * inputs + j] = scale * s
            }
        }
        return p
    }

    static func maxDifference(_ x: [Double], _ y: [Double]) -> Double {
        zip(x, y).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test func singularValuesAndBestApproximationsMatchNumpysDirectSVD() throws {
        let g = try Self.golden()
        let mean = try LowRankMean(g.clients, outFeatures: g.out, inFeatures: g.inputs)
        // Three rank-3 clients: the mean has rank 9; numpy's tenth value is rounding noise.
        #expect(mean.singularValues.count == 9)
        for (ours, theirs) in zip(mean.singularValues, g.singularValues) {
            #expect(abs(ours - theirs) <= 1e-9 * g.singularValues[0], "\(ours) vs \(theirs)")
        }
        for (rank, best) in g.best {
            let scale = 16.0 / Double(rank)
            let p = Self.product(
                try mean.factors(rank: rank, scale: scale), rank: rank, scale: scale, out: g.out, inputs: g.inputs)
            // Float32 factors: relative 1e-6 of the largest singular value.
            #expect(Self.maxDifference(p, best) <= 1e-5 * g.singularValues[0], "rank \(rank)")
        }
        // At the mean's own rank nothing is lost: the product is the weighted mean of B_i A_i.
        let full = Self.product(try mean.factors(rank: 9, scale: 2), rank: 9, scale: 2, out: g.out, inputs: g.inputs)
        #expect(Self.maxDifference(full, g.mean) <= 1e-5 * g.singularValues[0])
    }

    @Test func heterogeneousRanksTruncateToEachClientsRankAsADirectSVDDoes() throws {
        var rng = SplitMix64(seed: 8)
        func normal() -> Float { Float.random(in: -1...1, using: &rng) + Float.random(in: -1...1, using: &rng) }
        let (m, n) = (20, 14)
        let clients = [2, 4, 8].enumerated().map { i, r in
            LowRankMean.Factors(
                a: (0..<(r * n)).map { _ in normal() }, b: (0..<(m * r)).map { _ in normal() },
                rank: r, scale: 16.0 / Double(r), weight: Double(i + 1))
        }
        let mean = try LowRankMean(clients, outFeatures: m, inFeatures: n)
        // The explicit mean, column-major, and its direct SVD.
        var explicit = [Double](repeating: 0, count: m * n)
        for c in clients {
            let p = Self.product((c.a, c.b), rank: c.rank, scale: c.scale * c.weight / 6, out: m, inputs: n)
            for i in 0..<m { for j in 0..<n { explicit[i + j * m] += p[i * n + j] } }
        }
        let (u, s, vt, p) = try LowRankMean.svd(&explicit, rows: m, columns: n)
        #expect(p == 14)
        for j in 0..<14 {
            #expect(abs((j < mean.singularValues.count ? mean.singularValues[j] : 0) - s[j]) <= 1e-9 * s[0])
        }
        for c in clients {
            var direct = [Double](repeating: 0, count: m * n)
            for i in 0..<m {
                for j in 0..<n { for k in 0..<c.rank { direct[i * n + j] += u[i + k * m] * s[k] * vt[k + j * p] } }
            }
            let ours = Self.product(
                try mean.factors(rank: c.rank, scale: c.scale), rank: c.rank, scale: c.scale, out: m, inputs: n)
            #expect(Self.maxDifference(ours, direct) <= 1e-5 * s[0], "rank \(c.rank)")
            // Eckart-Young: what truncation leaves out is exactly the dropped singular values.
            let full = Self.product(try mean.factors(rank: 14, scale: 1), rank: 14, scale: 1, out: m, inputs: n)
            let residual = zip(full, ours).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            let dropped = s[c.rank...].reduce(0) { $0 + $1 * $1 }
            #expect(abs(residual - dropped) <= 1e-6 * s[0] * s[0], "rank \(c.rank)")
        }
    }

    @Test func badFactorsAreRefusedNamingWhatIsWrong() throws {
        let ok = LowRankMean.Factors(a: [1, 2], b: [3, 4], rank: 1, scale: 1, weight: 1)
        #expect(throws: ModelError.self) { try LowRankMean([], outFeatures: 2, inFeatures: 2) }
        var short = ok
        short.b = [3]
        #expect { try LowRankMean([ok, short], outFeatures: 2, inFeatures: 2) } throws: { error in
            "\(error)".contains("factors 1") && "\(error)".contains("|B| 1")
        }
        var zero = ok
        zero.weight = 0
        #expect { try LowRankMean([zero], outFeatures: 2, inFeatures: 2) } throws: {
            "\($0)".contains("weights sum to 0")
        }
        #expect(throws: ModelError.self) {
            try LowRankMean([ok], outFeatures: 2, inFeatures: 2).factors(rank: 0, scale: 1)
        }
    }
}

import Foundation
import Testing
@testable import Selection

struct TSNEGolden: Decodable {
    struct Run: Decodable {
        let kl: Double
        let trustworthiness: Double
        let iterations: Int
    }
    struct Set: Decodable {
        let name: String
        let input: [[Double]]
        let barnes_hut: Run
        let exact: Run?
    }
    let sets: [Set]
}

@Suite struct TSNETests {
    static let golden = try! GoldenFiles.load(TSNEGolden.self, "tsne.json")

    @Test(arguments: golden.sets.map(\.name))
    func barnesHutMatchesScikitLearn(name: String) throws {
        let set = Self.golden.sets.first { $0.name == name }!
        let x = try GoldenFiles.matrix(set.input)
        var rng = SplitMix64(seed: 1)
        let result = try TSNE().fit(x, using: &rng)
        let trust = try Trustworthiness.score(original: x, embedding: result.embedding, neighbours: 5)
        print(
            "t-SNE \(name) BH: KL \(result.klDivergence) (sklearn \(set.barnes_hut.kl)), trust \(trust) (sklearn \(set.barnes_hut.trustworthiness))"
        )
        #expect(result.klDivergence <= set.barnes_hut.kl * 1.05, "\(name): KL")
        #expect(trust >= set.barnes_hut.trustworthiness - 0.01, "\(name): trustworthiness")
    }

    @Test(arguments: golden.sets.filter { $0.exact != nil }.map(\.name))
    func exactMatchesScikitLearn(name: String) throws {
        let set = Self.golden.sets.first { $0.name == name }!
        let x = try GoldenFiles.matrix(set.input)
        var rng = SplitMix64(seed: 1)
        let result = try TSNE(method: .exact).fit(x, using: &rng)
        let trust = try Trustworthiness.score(original: x, embedding: result.embedding, neighbours: 5)
        let ref = set.exact!
        print(
            "t-SNE \(name) exact: KL \(result.klDivergence) (sklearn \(ref.kl)), trust \(trust) (sklearn \(ref.trustworthiness))"
        )
        #expect(result.klDivergence <= ref.kl * 1.05, "\(name): KL")
        #expect(trust >= ref.trustworthiness - 0.01, "\(name): trustworthiness")
    }

    @Test func barnesHutWithAngleZeroIsTheExactGradient() throws {
        var rng = SplitMix64(seed: 7)
        let n = 40, dims = 2
        let x = try Matrix(rows: n, cols: 5, values: (0..<(n * 5)).map { _ in Double.random(in: -3...3, using: &rng) })
        let p = TSNEAffinities.exact(squaredDistances: PairwiseDistances.squared(x), n: n, perplexity: 10)
        let y = (0..<(n * dims)).map { _ in Double.random(in: -5...5, using: &rng) }
        let (klExact, gExact) = TSNEGradient.exact(y, n: n, dims: dims, p: p, computeError: true)
        let (klBH, gBH) = TSNEGradient.barnesHut(
            y, n: n, dims: dims, p: SparseP.fromDense(p, n: n), theta: 0,
            computeError: true)
        #expect(abs(klExact - klBH) < 1e-9)
        for (a, b) in zip(gExact, gBH) { #expect(abs(a - b) < 1e-10 * max(1, abs(a))) }
        // With angle 0.5 the approximation is close but not exact.
        let (_, gHalf) = TSNEGradient.barnesHut(
            y, n: n, dims: dims, p: SparseP.fromDense(p, n: n), theta: 0.5,
            computeError: false)
        let diff = zip(gExact, gHalf).map { abs($0 - $1) }.max()!
        #expect(diff > 0 && diff < 0.05 * gExact.map(abs).max()!)
    }

    @Test func exactGradientIsTheDerivativeOfKL() throws {
        var rng = SplitMix64(seed: 3)
        let n = 12, dims = 2
        let x = try Matrix(rows: n, cols: 4, values: (0..<(n * 4)).map { _ in Double.random(in: -1...1, using: &rng) })
        let p = TSNEAffinities.exact(squaredDistances: PairwiseDistances.squared(x), n: n, perplexity: 4)
        let y = (0..<(n * dims)).map { _ in Double.random(in: -2...2, using: &rng) }
        let (_, g) = TSNEGradient.exact(y, n: n, dims: dims, p: p, computeError: true)
        for t in [0, 5, 17] {
            var yp = y, ym = y
            yp[t] += 1e-6; ym[t] -= 1e-6
            let fd =
                (TSNEGradient.exact(yp, n: n, dims: dims, p: p, computeError: true).0
                    - TSNEGradient.exact(ym, n: n, dims: dims, p: p, computeError: true).0) / 2e-6
            #expect(abs(fd - g[t]) < 1e-5 * max(1, abs(g[t])))
        }
    }

    @Test func perplexityCalibrationHitsTheTarget() throws {
        var rng = SplitMix64(seed: 5)
        let n = 30
        let x = try Matrix(rows: n, cols: 3, values: (0..<(n * 3)).map { _ in Double.random(in: -1...1, using: &rng) })
        let sq = PairwiseDistances.squared(x)
        let cond = TSNEAffinities.binarySearchPerplexity(sq, n: n, k: n, perplexity: 8, excludeDiagonal: true)
        for i in 0..<n {
            var h = 0.0
            for j in 0..<n where j != i && cond[i * n + j] > 0 { h -= cond[i * n + j] * log(cond[i * n + j]) }
            #expect(abs(exp(h) - 8) < 1e-3)
        }
    }

    @Test func edgeCases() throws {
        var rng = SplitMix64(seed: 1)
        #expect(throws: SelectionError.self) { try TSNE().fit(Matrix(rowArrays: [[1, 2, 3]]), using: &rng) }
        #expect(throws: SelectionError.nonFiniteValue(matrix: "t-SNE input", row: 1, column: 2)) {
            try TSNE().fit(Matrix(rowArrays: [[1, 2, 3], [1, 2, .infinity]]), using: &rng)
        }
        let two = try TSNE().fit(Matrix(rowArrays: [[0, 0, 0], [1, 2, 3]]), using: &rng)
        #expect(two.embedding.rows == 2 && two.embedding.values.allSatisfy(\.isFinite))
        let same = try TSNE().fit(Matrix(rowArrays: [[1, 1], [1, 1], [1, 1], [1, 1]]), using: &rng)
        #expect(same.embedding.values.allSatisfy { $0 == 0 })
    }
}

struct TSNEPartsGolden: Decodable {
    let perplexity: Double
    let P: [[Double]]
    let `init`: [[Double]]
}

@Suite struct TSNEStepTests {
    @Test func jointProbabilitiesAndInitialisationMatchScikitLearn() throws {
        let parts = try GoldenFiles.load(TSNEPartsGolden.self, "tsne_parts.json")
        let x = try GoldenFiles.matrix(TSNETests.golden.sets[0].input)
        let n = x.rows
        let k = min(n - 1, Int(3 * parts.perplexity + 1))
        let p = TSNEAffinities.nearestNeighbours(
            squaredDistances: PairwiseDistances.squared(x), n: n, k: k,
            perplexity: parts.perplexity
        ).dense()
        let maxP = parts.P.flatMap { $0 }.max()!
        var worst = 0.0
        for i in 0..<n { for j in 0..<n { worst = max(worst, abs(p[i * n + j] - parts.P[i][j])) } }
        #expect(worst < 1e-6 * maxP, "largest P difference \(worst)")
        let centred = PairwiseDistances.centred(x)
        let y = try TSNE.pcaInit(centred: centred, gram: PairwiseDistances.gram(centred), n: n, dims: 2)
        var worstInit = 0.0
        for i in 0..<n { for a in 0..<2 { worstInit = max(worstInit, abs(y[i * 2 + a] - parts.`init`[i][a])) } }
        #expect(worstInit < 1e-6 * 1e-4 * 3, "largest init difference \(worstInit)")
    }
}

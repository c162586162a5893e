import Foundation
import Testing
@testable import Selection

struct LinalgGolden: Decodable {
    struct PCASet: Decodable {
        let name: String
        let input: [[Double]]
        let scores: [[Double]]
        let components: [[Double]]
        let explainedVariance: [Double]
    }
    struct KPCASet: Decodable {
        let kernel: String
        let gamma: Double?
        let input: [[Double]]
        let scores: [[Double]]
    }
    struct KMeansSet: Decodable {
        let input: [[Double]]
        let `init`: [[Double]]
        let labels: [Int]
        let inertia: Double
        let centers: [[Double]]
        let plusPlusInertia: Double
        let plusPlusLabels: [Int]
    }
    struct ScoreSet: Decodable {
        let input: [[Double]]
        let labels: [Int]
        let calinskiHarabasz: Double
        let silhouette: Double
        let daviesBouldin: Double
    }
    struct TrustSet: Decodable {
        let input: [[Double]]
        let embedding: [[Double]]
        let k: Int
        let value: Double
    }
    let pca: [PCASet]
    let kpca: [KPCASet]
    let kmeans: KMeansSet
    let scores: ScoreSet
    let trustworthiness: TrustSet
}

func close(_ a: [[Double]], _ b: [[Double]], _ tol: Double) -> Bool {
    guard a.count == b.count else { return false }
    for (r, s) in zip(a, b) {
        guard r.count == s.count else { return false }
        for (u, v) in zip(r, s) where abs(u - v) > tol * max(1, abs(v)) { return false }
    }
    return true
}

@Suite struct LinearAlgebraTests {
    static let golden = try! GoldenFiles.load(LinalgGolden.self, "linalg.json")

    @Test func pcaMatchesScikitLearn() throws {
        for set in Self.golden.pca {
            let r = try PCA(components: 3).fitTransform(GoldenFiles.matrix(set.input))
            #expect(close(r.scores.rowArrays, set.scores, 1e-8), "\(set.name): scores")
            #expect(close(r.components.rowArrays, set.components, 1e-8), "\(set.name): components")
            #expect(close([r.explainedVariance], [set.explainedVariance], 1e-8), "\(set.name): variance")
        }
    }

    @Test func subspaceIterationAgreesWithDenseEigensolver() throws {
        var rng = SplitMix64(seed: 9)
        let n = 80
        let b = (0..<(n * 6)).map { _ in Double.random(in: -1...1, using: &rng) }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n { for t in 0..<6 { a[i * n + j] += b[i * 6 + t] * b[j * 6 + t] * Double(t + 1) } }
        }
        let dense = try SymmetricEigen.top(a, n: n, k: 3)
        let iter = try SymmetricEigen.top(a, n: n, k: 3, denseLimit: 10)
        for t in 0..<3 {
            #expect(abs(dense.values[t] - iter.values[t]) < 1e-9 * dense.values[0])
            let dot = zip(dense.vectors[t], iter.vectors[t]).map(*).reduce(0, +)
            #expect(abs(abs(dot) - 1) < 1e-8)
        }
    }

    @Test func kernelPCAMatchesScikitLearn() throws {
        for set in Self.golden.kpca {
            let kernel: KernelPCA.Kernel = set.kernel == "linear" ? .linear : .rbf(gamma: set.gamma)
            let r = try KernelPCA(components: 2, kernel: kernel).fitTransform(GoldenFiles.matrix(set.input))
            #expect(close(r.rowArrays, set.scores, 1e-7), "\(set.kernel)")
        }
    }

    @Test func kMeansMatchesScikitLearn() throws {
        let g = Self.golden.kmeans
        let x = try GoldenFiles.matrix(g.input)
        let r = try KMeans(clusters: 3).fit(x, initialCentres: GoldenFiles.matrix(g.`init`))
        #expect(r.labels == g.labels)
        #expect(abs(r.inertia - g.inertia) < 1e-9 * g.inertia)
        #expect(close(r.centres.rowArrays, g.centers, 1e-9))
        // Seeded k-means++ (different generator): same partition up to renumbering and inertia.
        var rng = SplitMix64(seed: 4)
        let pp = try KMeans(clusters: 3).fit(x, using: &rng)
        #expect(sameUpToRenumbering(pp.labels, g.plusPlusLabels))
        #expect(abs(pp.inertia - g.plusPlusInertia) < 1e-9 * g.plusPlusInertia)
    }

    @Test func clusterScoresMatchScikitLearn() throws {
        let g = Self.golden.scores
        let x = try GoldenFiles.matrix(g.input)
        #expect(
            abs(try ClusterScores.calinskiHarabasz(x, labels: g.labels) - g.calinskiHarabasz) < 1e-9
                * g.calinskiHarabasz)
        #expect(abs(try ClusterScores.silhouette(x, labels: g.labels) - g.silhouette) < 1e-9)
        #expect(abs(try ClusterScores.daviesBouldin(x, labels: g.labels) - g.daviesBouldin) < 1e-9)
        #expect(throws: SelectionError.self) {
            try ClusterScores.silhouette(x, labels: [Int](repeating: 0, count: x.rows))
        }
    }

    @Test func trustworthinessMatchesScikitLearn() throws {
        let g = Self.golden.trustworthiness
        let t = try Trustworthiness.score(
            original: GoldenFiles.matrix(g.input), embedding: GoldenFiles.matrix(g.embedding),
            neighbours: g.k)
        #expect(abs(t - g.value) < 1e-12)
    }
}

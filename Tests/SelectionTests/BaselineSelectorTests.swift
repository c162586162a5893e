import Foundation
import Testing
@testable import Selection

@Suite struct BaselineSelectorTests {
    @Test func ratioCounts() throws {
        #expect(try RatioCount.count(of: 100, ratio: 0.05) == 5)
        #expect(try RatioCount.count(of: 75, ratio: 0.002) == 1)
        #expect(try RatioCount.count(of: 0, ratio: 0.5) == 0)
        #expect(throws: SelectionError.self) { try RatioCount.count(of: 10, ratio: 0) }
    }

    @Test func randomIsSeededDistinctAndSized() throws {
        var a = SplitMix64(seed: 8), b = SplitMix64(seed: 8)
        let s1 = try RandomSelector(ratio: 0.2).select(count: 50, using: &a)
        let s2 = try RandomSelector(ratio: 0.2).select(count: 50, using: &b)
        #expect(s1 == s2 && s1.count == 10 && Set(s1).count == 10 && s1.allSatisfy { (0..<50).contains($0) })
        #expect(try RandomSelector(ratio: 0.2).select(count: 1, using: &a) == [0])
    }

    @Test func perplexityTakesTheLowest() throws {
        let s = try PerplexitySelector(ratio: 0.5).select(perplexities: [9, 3, 7, 3, 1, 8])
        #expect(s == [4, 1, 3])
        #expect(throws: SelectionError.nonFiniteValue(matrix: "perplexities", row: 1, column: 0)) {
            try PerplexitySelector(ratio: 0.5).select(perplexities: [1, .nan])
        }
    }

    @Test func coresetCentPicksNearestThenRoundRobin() throws {
        // Cluster 0: 6 points on a line from its centre at 0; cluster 1: 2 points around 100.
        let x = try Matrix(rowArrays: [[0.5], [1], [2], [3], [4], [-0.2], [100], [101]])
        let centres = try Matrix(rowArrays: [[0], [100.5]])
        let labels = [0, 0, 0, 0, 0, 0, 1, 1]
        // ratio 0.5: per cluster max(1, floor(6*0.5)) = 3 and 1; target ceil(4) = 4: nothing more.
        #expect(CoresetCentSelector.pick(features: x, labels: labels, centres: centres, ratio: 0.5) == [5, 0, 1, 6])
        // ratio 0.6: 3 and 1, target ceil(4.8) = 5: round robin adds cluster 0's next (2).
        #expect(CoresetCentSelector.pick(features: x, labels: labels, centres: centres, ratio: 0.6) == [5, 0, 1, 6, 2])
        // ratio 0.1: 1 and 1 (minimum one per cluster) exceed ceil(0.8) = 1: both kept.
        #expect(CoresetCentSelector.pick(features: x, labels: labels, centres: centres, ratio: 0.1) == [5, 6])
        var rng = SplitMix64(seed: 1)
        // With k-means the centre of cluster 0 is its mean 1.7167: nearest are 2, 1, 0; cluster 1
        // ties 100 and 101 at 100.5, the lower index wins.
        let chosen = try CoresetCentSelector(ratio: 0.5, clusters: 2).select(features: x, using: &rng)
        #expect(chosen == [2, 1, 0, 6] || chosen == [6, 2, 1, 0])
    }

    @Test func globalSelectChoosesOnePerGlobalCluster() throws {
        var samples: [ClientSample] = []
        for client in 0..<3 {
            for s in 0..<4 {
                let base: [Double] = s < 2 ? [0, 0] : [20, 20]
                samples.append(
                    ClientSample(
                        client: client, sample: s,
                        point: [base[0] + Double(client) * 0.1 + Double(s) * 0.01, base[1]]))
            }
        }
        let chosen = try GlobalSelect(minClusterSize: 2).select(samples.shuffled(using: &SplitMix64Box.rng))
        #expect(chosen.count == 2)
        #expect(chosen.allSatisfy { $0.client == 1 })
        #expect(GlobalSelect.samples(of: 1, in: chosen).count == 2)
    }

    @Test func lastLayerSlice() throws {
        let x = try Matrix(rowArrays: [[1, 2, 3, 4], [5, 6, 7, 8]])
        #expect(try x.lastColumns(2).rowArrays == [[3, 4], [7, 8]])
        #expect(throws: SelectionError.self) { try x.lastColumns(5) }
    }
}

enum SplitMix64Box {
    nonisolated(unsafe) static var rng = SplitMix64(seed: 99)
}

@Suite struct MatrixTests {
    @Test func constructionAndChecks() throws {
        let m = try Matrix(rows: 2, cols: 2, floats: [1, 2, 3, 4])
        #expect(m.rowArrays == [[1, 2], [3, 4]])
        #expect(m.selectingRows([1, 0]).rowArrays == [[3, 4], [1, 2]])
        #expect(throws: SelectionError.self) { try Matrix(rows: 2, cols: 2, values: [1, 2, 3]) }
        #expect(throws: SelectionError.self) { try Matrix(rowArrays: [[1, 2], [3]]) }
        #expect(throws: SelectionError.nonFiniteValue(matrix: "x", row: 1, column: 1)) {
            try Matrix(rows: 2, cols: 2, values: [1, 2, 3, -.infinity]).checkFinite(name: "x")
        }
    }
}

/// Random and Perplexity at a federation-wide ratio: floor(n * ratio) plus one with probability
/// frac(n * ratio).
@Suite struct StochasticRatioTests {
    @Test func theExtraSampleIsTakenExactlyWhenTheDrawIsBelowTheFraction() throws {
        // n = 10, ratio 0.25: 2.5 -> 2 or 3; the threshold is the fraction 0.5.
        #expect(try RatioCount.stochasticCount(of: 10, ratio: 0.25, uniform: 0) == 3)
        #expect(try RatioCount.stochasticCount(of: 10, ratio: 0.25, uniform: 0.5.nextDown) == 3)
        #expect(try RatioCount.stochasticCount(of: 10, ratio: 0.25, uniform: 0.5) == 2)
        #expect(try RatioCount.stochasticCount(of: 10, ratio: 0.25, uniform: 0.999) == 2)
        // n = 11 at 1.5%: 0.165 -> 1 with probability 0.165, else 0 (the old rule: always 1, i.e. 9%).
        let x = 11 * 0.015
        #expect(try RatioCount.stochasticCount(of: 11, ratio: 0.015, uniform: x.nextDown) == 1)
        #expect(try RatioCount.stochasticCount(of: 11, ratio: 0.015, uniform: x) == 0)
        #expect(try RatioCount.count(of: 11, ratio: 0.015) == 1)
        // Whole products take no extra sample; ratio 1 takes everything; n = 0 takes nothing.
        #expect(try RatioCount.stochasticCount(of: 8, ratio: 0.5, uniform: 0) == 4)
        #expect(try RatioCount.stochasticCount(of: 7, ratio: 1, uniform: 0) == 7)
        #expect(try RatioCount.stochasticCount(of: 0, ratio: 0.5, uniform: 0) == 0)
        #expect(throws: SelectionError.self) { try RatioCount.stochasticCount(of: 10, ratio: 0, uniform: 0) }
        #expect(throws: SelectionError.self) { try RatioCount.stochasticCount(of: 10, ratio: 0.5, uniform: 1) }
    }

    /// Since the rule is floor + [u < frac], its expectation is exactly n * ratio for u uniform in
    /// [0, 1); checked here empirically per client size, to 5 standard errors.
    @Test func perClientMeanIsTheRatio() throws {
        var rng = SplitMix64(seed: 21)
        let draws = 40_000
        for (n, ratio) in [(11, 0.015), (224, 0.002), (75, 0.015), (37, 0.2)] {
            var sum = 0
            for _ in 0..<draws { sum += try RatioCount.stochasticCount(of: n, ratio: ratio, using: &rng) }
            let x = Double(n) * ratio, f = x - x.rounded(.down)
            let se = (f * (1 - f) / Double(draws)).squareRoot()
            #expect(
                abs(Double(sum) / Double(draws) - x) <= 5 * se + 1e-12,
                "n \(n) ratio \(ratio): mean \(Double(sum) / Double(draws))")
        }
    }

    /// A synthetic federation like the paper's Dolly partition (200 clients of 11 to 224 samples):
    /// the realised ratio of one round's draw over all clients is within 5 standard deviations of
    /// the target (sd = sqrt(sum f(1 - f)) / total), where the old rule inflates 0.2% to over 1%.
    @Test func federationRatioHoldsWhereTheOldRuleInflatesIt() throws {
        var sizes: [Int] = []
        var g = SplitMix64(seed: 5)
        for _ in 0..<200 { sizes.append(Int.random(in: 11...224, using: &g)) }
        let total = sizes.reduce(0, +)
        for ratio in [0.002, 0.015] {
            var variance = 0.0
            for n in sizes { let x = Double(n) * ratio; let f = x - x.rounded(.down); variance += f * (1 - f) }
            let tolerance = 5 * variance.squareRoot() / Double(total)
            for seed in 0..<20 as Range<UInt64> {
                var rng = SplitMix64(seed: 100 + seed)
                let taken = try sizes.reduce(0) {
                    $0 + (try RatioCount.stochasticCount(of: $1, ratio: ratio, using: &rng))
                }
                #expect(
                    abs(Double(taken) / Double(total) - ratio) <= tolerance,
                    "ratio \(ratio): realised \(Double(taken) / Double(total))")
            }
            let old = try sizes.reduce(0) { $0 + (try RatioCount.count(of: $1, ratio: ratio)) }
            if ratio == 0.002 { #expect(Double(old) / Double(total) > 3 * ratio) }  // every client at least 1
        }
    }

    @Test func selectorsTakeAGivenCount() throws {
        var rng = SplitMix64(seed: 2)
        #expect(RandomSelector.sample(0, of: 10, using: &rng).isEmpty)
        let s = RandomSelector.sample(4, of: 10, using: &rng)
        #expect(s.count == 4 && Set(s).count == 4 && s.allSatisfy { (0..<10).contains($0) })
        #expect(try PerplexitySelector.lowest(0, of: [3, 1]).isEmpty)
        #expect(try PerplexitySelector.lowest(2, of: [9, 3, 7, 3, 1]) == [4, 1])
    }
}

/// Coreset-Cent over the whole federation: one k-means over every client's features.
@Suite struct CentralCoresetCentTests {
    @Test func acrossClientsEqualsOneSelectionOverTheStackedRows() throws {
        // Three clients whose samples come from 3 global groups in different mixes.
        var g = SplitMix64(seed: 9)
        var clients: [(client: Int, features: Matrix)] = []
        for (client, mix) in [(4, [10, 1, 1]), (1, [1, 12, 0]), (7, [2, 2, 9])] {
            var rows: [[Double]] = []
            for (group, count) in mix.enumerated() {
                for _ in 0..<count {
                    rows.append((0..<4).map { j in (j == group ? 20.0 : 0) + Double.random(in: -1...1, using: &g) })
                }
            }
            clients.append((client, try Matrix(rowArrays: rows)))
        }
        let selector = CoresetCentSelector(ratio: 0.1, clusters: 3)
        var a = SplitMix64(seed: 4)
        let central = try selector.selectAcrossClients(clients, using: &a)
        // Direct: stack the rows in client-id order (1, 4, 7) and select once.
        let ordered = clients.sorted { $0.client < $1.client }
        let stacked = try Matrix(rowArrays: ordered.flatMap { $0.features.rowArrays })
        var b = SplitMix64(seed: 4)
        let rows = try selector.select(features: stacked, using: &b)
        var expected: [Int: [Int]] = [:]
        var offset = 0
        for (c, f) in ordered {
            let mine = rows.filter { $0 >= offset && $0 < offset + f.rows }.map { $0 - offset }.sorted()
            if !mine.isEmpty { expected[c] = mine }
            offset += f.rows
        }
        #expect(central == expected)
        // 38 rows in groups of 13, 15, 10; ratio 0.1: max(1, floor(count * 0.1)) = 1 per cluster,
        // then round robin up to ceil(3.8) = 4 in total.
        #expect(central.values.reduce(0) { $0 + $1.count } == 4)
        // Per-client k-means (3 clusters in each client) picks at least one per client and cluster: not this.
        var perClient: [Int: [Int]] = [:]
        var c2 = SplitMix64(seed: 4)
        for (c, f) in ordered { perClient[c] = try selector.select(features: f, using: &c2).sorted() }
        #expect(perClient != central)
        #expect(perClient.values.reduce(0) { $0 + $1.count } == 9)  // 3 clusters x 3 clients
        #expect(throws: SelectionError.self) {
            var r = SplitMix64(seed: 1)
            _ = try selector.selectAcrossClients(
                [(0, try Matrix(rowArrays: [[1, 2]])), (1, try Matrix(rowArrays: [[1]]))], using: &r)
        }
    }
}

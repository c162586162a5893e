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
                samples.append(ClientSample(client: client, sample: s,
                                            point: [base[0] + Double(client) * 0.1 + Double(s) * 0.01, base[1]]))
            }
        }
        let chosen = try GlobalSelect(minClusterSize: 2).select(samples.shuffled(using: &SplitMix64Box.rng))
        #expect(chosen.count == 2)
        #expect(chosen.allSatisfy { $0.client == 1 })
        #expect(GlobalSelect.samples(of: 1, in: chosen).count == 2)
    }

    @Test func fullData() {
        #expect(FullDataSelector().select(count: 3) == [0, 1, 2])
        var rng = SplitMix64(seed: 1)
        #expect(Set(FullDataSelector().select(count: 5, shuffledWith: &rng)) == [0, 1, 2, 3, 4])
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

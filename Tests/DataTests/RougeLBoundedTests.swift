import Foundation
import Testing
import TestSupport
@testable import Data

/// Rouge-L's LCS path in bounded memory (issue 16: one 300,000-word pair asked for 360 GB).
@Suite struct RougeLBoundedTests {
    /// The whole-table walk, as `rouge` 1.0.1's `_recon_lcs` does it (the reference here).
    static func fullTableUnion(_ x: [Int], _ y: [Int]) -> Set<Int> {
        let n = x.count, m = y.count
        var t = [[Int32]](repeating: [Int32](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: 1, through: n, by: 1) {
            for j in stride(from: 1, through: m, by: 1) {
                t[i][j] = x[i - 1] == y[j - 1] ? t[i - 1][j - 1] + 1 : max(t[i - 1][j], t[i][j - 1])
            }
        }
        var out = Set<Int>()
        var i = n, j = m
        while i > 0 && j > 0 {
            if x[i - 1] == y[j - 1] {
                out.insert(x[i - 1]); i -= 1; j -= 1
            } else if t[i - 1][j] > t[i][j - 1] {
                i -= 1
            } else {
                j -= 1
            }
        }
        return out
    }

    @Test func splitWalkEqualsTheWholeTableWalkOnRandomPairsWithManyTies() {
        var rng = SplitMix64(seed: 16)
        for trial in 0..<400 {
            let n = Int(rng.next() % 60), m = Int(rng.next() % 60)
            let vocabulary = UInt64(1 + trial % 7)  // few distinct words: many equal-length paths
            let x = (0..<n).map { _ in Int(rng.next() % vocabulary) }
            let y = (0..<m).map { _ in Int(rng.next() % vocabulary) }
            let want = Self.fullTableUnion(x, y)
            for block in [4, 17, 64, 1 << 22] {
                var table: [Int32] = []
                var got = Set<Int>()
                RougeL.unionLCS(x, y, &table, into: &got, blockCells: block)
                #expect(got == want, "trial \(trial), n \(n), m \(m), block \(block)")
                #expect(table.count <= max(block, 2 * (m + 1)), "block \(block): table of \(table.count) cells")
            }
        }
    }

    @Test func aLongPairNeverHoldsTheWholeTable() {
        // 4,000 x 4,000 words: the whole table would be 16 M cells (64 MB); the walk keeps one block (16 MB).
        var rng = SplitMix64(seed: 7)
        let x = (0..<4_000).map { _ in Int(rng.next() % 50) }
        let y = (0..<4_000).map { _ in Int(rng.next() % 50) }
        var table: [Int32] = []
        var union = Set<Int>()
        RougeL.unionLCS(x, y, &table, into: &union)
        #expect(table.count <= RougeL.blockCells)
        #expect(union.count == 50)
        let text = x.map { "w\($0)" }.joined(separator: " ")
        #expect(RougeL.score(hypothesis: text, reference: text) > 0.99)
    }
}

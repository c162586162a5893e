/// Rouge-L F-measure exactly as the Python package `rouge` 1.0.1 computes
/// `Rouge().get_scores(hyp, ref)[0]["rouge-l"]["f"]` (summary-level union LCS):
///
/// - Sentences: the text split on "." (only U+002E); empty pieces dropped; in each piece the
///   whitespace runs (Python `str.isspace`) collapsed to one space, trimmed. A piece of only
///   whitespace stays as the empty sentence, which is the single word "".
/// - Words: each sentence split on " ". No lower-casing, no punctuation removal: "Word," and
///   "word" are different words. Words compare by Unicode code points (no normalisation).
/// - m, n: numbers of DISTINCT words of the reference and the hypothesis.
/// - LCS_u: for every reference sentence, and within it every hypothesis sentence, the LCS that
///   the package's backtracking reconstructs (diagonal on a match, else up if strictly longer, else
///   left); the union of their words as a SET across everything; llcs = its size.
/// - r = llcs / m, p = llcs / n, f = 2 * ((p * r) / (p + r + 1e-8)).
///
/// Empty input: the package raises ValueError when the hypothesis or the reference has no sentence
/// (empty, or only dots); the FedHDS evaluation (`evaluations.rouge_score`) returns 0.0 for an
/// empty hypothesis and for any ValueError, so `score` returns 0 there. Very long sentences make the
/// package's recursive backtracking exceed Python's default recursion limit (RecursionError at
/// about 1,000 words per sentence pair); this implementation is iterative and returns the value the
/// package gives with a raised limit.
public enum RougeL {
    /// Rouge-L F of one hypothesis against one reference.
    public static func score(hypothesis: String, reference: String) -> Double {
        var vocabulary: [[UInt32]: Int] = [:]
        let hyp = sentences(hypothesis, &vocabulary)
        let ref = sentences(reference, &vocabulary)
        if hyp.isEmpty || ref.isEmpty { return 0 }
        let m = Set(ref.joined()).count
        let n = Set(hyp.joined()).count
        var union = Set<Int>()
        var table: [Int32] = []
        for r in ref {
            for c in hyp {
                unionLCS(r, c, &table, into: &union)
            }
        }
        let llcs = Double(union.count)
        let recall = llcs / Double(m)
        let precision = llcs / Double(n)
        return 2.0 * ((precision * recall) / (precision + recall + 1e-8))
    }

    /// The mean over pairs (0 for no pairs), as the evaluation averages per-sample scores.
    public static func mean(hypotheses: [String], references: [String]) throws -> Double {
        guard hypotheses.count == references.count else {
            throw DataError.invalidArgument("\(hypotheses.count) hypotheses for \(references.count) references")
        }
        if hypotheses.isEmpty { return 0 }
        var sum = 0.0
        for (h, r) in zip(hypotheses, references) { sum += score(hypothesis: h, reference: r) }
        return sum / Double(hypotheses.count)
    }

    /// Python's `str.isspace` code points (what `str.split()` splits on).
    @inline(__always)
    static func isPythonSpace(_ c: UInt32) -> Bool {
        switch c {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Sentences as lists of word ids (words interned in `vocabulary`).
    static func sentences(_ text: String, _ vocabulary: inout [[UInt32]: Int]) -> [[Int]] {
        func intern(_ word: [UInt32]) -> Int {
            if let id = vocabulary[word] { return id }
            let id = vocabulary.count
            vocabulary[word] = id
            return id
        }
        var result: [[Int]] = []
        var sentence: [Int] = []
        var word: [UInt32] = []
        var pieceLength = 0
        func endPiece() {
            if !word.isEmpty { sentence.append(intern(word)); word.removeAll(keepingCapacity: true) }
            if pieceLength > 0 {
                result.append(sentence.isEmpty ? [intern([])] : sentence)
            }
            sentence = []
            pieceLength = 0
        }
        for scalar in text.unicodeScalars {
            let c = scalar.value
            if c == 0x2E {
                endPiece()
                continue
            }
            pieceLength += 1
            if isPythonSpace(c) {
                if !word.isEmpty { sentence.append(intern(word)); word.removeAll(keepingCapacity: true) }
            } else {
                word.append(c)
            }
        }
        endPiece()
        return result
    }

    /// Largest DP block (cells) held at once: 4 M Int32, 16 MB.
    static let blockCells = 1 << 22

    /// Adds the words of the LCS that `rouge_score._recon_lcs(x, y)` reconstructs to `union`.
    /// The path depends on ties in the whole n x m table, so it is walked exactly, but in bounded
    /// memory: a pair whose table fits `blockCells` is walked in one table (`table`, reused);
    /// a larger one is split at its middle row, whose DP row is computed forward in two rows, the
    /// lower half walked first (the path runs from (n, m) up), then the upper half from the
    /// column where the path crossed. Memory O(blockCells + m log n), time O(n m log n).
    static func unionLCS(
        _ x: [Int], _ y: [Int], _ table: inout [Int32], into union: inout Set<Int>,
        blockCells: Int = RougeL.blockCells
    ) {
        let n = x.count, m = y.count
        guard n > 0, m > 0 else { return }
        let top = [Int32](repeating: 0, count: m + 1)
        _ = walk(
            x, y, top: 0, topRow: top, bottom: n, column: m, table: &table, union: &union,
            blockCells: max(4, blockCells))
    }

    /// Walks the backtracking path from (bottom, column) up to row `top`; `topRow` is the DP row
    /// `top` over columns 0...column (columns beyond the path never matter). Returns the column at
    /// which the path reached row `top`, or 0 when it ended at column 0.
    private static func walk(
        _ x: [Int], _ y: [Int], top: Int, topRow: [Int32], bottom: Int, column: Int,
        table: inout [Int32], union: inout Set<Int>, blockCells: Int
    ) -> Int {
        let width = column + 1
        let rows = bottom - top
        if rows <= 1 || (rows + 1) * width <= blockCells {
            let size = (rows + 1) * width
            if table.count < size { table = [Int32](repeating: 0, count: size) }
            return table.withUnsafeMutableBufferPointer { t -> Int in
                for j in 0..<width { t[j] = topRow[j] }
                if rows > 0 {
                    for r in 1...rows {
                        let row = r * width, prev = row - width
                        t[row] = 0
                        let xi = x[top + r - 1]
                        for j in 1..<width {
                            if xi == y[j - 1] {
                                t[row + j] = t[prev + j - 1] + 1
                            } else {
                                let up = t[prev + j], left = t[row + j - 1]
                                t[row + j] = up > left ? up : left
                            }
                        }
                    }
                }
                var i = bottom, j = column
                while i > top && j > 0 {
                    let r = i - top
                    if x[i - 1] == y[j - 1] {
                        union.insert(x[i - 1])
                        i -= 1
                        j -= 1
                    } else if t[(r - 1) * width + j] > t[r * width + j - 1] {
                        i -= 1
                    } else {
                        j -= 1
                    }
                }
                return j
            }
        }
        let mid = top + rows / 2
        let midRow = forward(x, y, from: topRow, rows: top..<mid)
        let crossing = walk(
            x, y, top: mid, topRow: midRow, bottom: bottom, column: column,
            table: &table, union: &union, blockCells: blockCells)
        if crossing == 0 { return 0 }
        return walk(
            x, y, top: top, topRow: Array(topRow[0...crossing]), bottom: mid, column: crossing,
            table: &table, union: &union, blockCells: blockCells)
    }

    /// The DP row after `rows` of x, from the row before them (two rows of memory).
    private static func forward(_ x: [Int], _ y: [Int], from start: [Int32], rows: Range<Int>) -> [Int32] {
        var prev = start
        var cur = [Int32](repeating: 0, count: start.count)
        for i in rows {
            let xi = x[i]
            prev.withUnsafeBufferPointer { p in
                cur.withUnsafeMutableBufferPointer { c in
                    c[0] = 0
                    for j in 1..<c.count {
                        if xi == y[j - 1] {
                            c[j] = p[j - 1] + 1
                        } else {
                            let up = p[j], left = c[j - 1]
                            c[j] = up > left ? up : left
                        }
                    }
                }
            }
            swap(&prev, &cur)
        }
        return prev
    }
}

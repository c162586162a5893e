/// scikit-learn's `trustworthiness`: how far the embedding's k nearest neighbours are, in rank,
/// from the original space's (1 = neighbourhoods kept).
public enum Trustworthiness {
    public static func score(original x: Matrix, embedding y: Matrix, neighbours k: Int = 5) throws -> Double {
        let n = x.rows
        guard y.rows == n else { throw SelectionError.invalidInput("trustworthiness: \(n) rows vs \(y.rows) rows") }
        guard k >= 1, Double(k) < Double(n) / 2 else {
            throw SelectionError.invalidParameter("trustworthiness neighbours \(k) must be < n / 2 = \(Double(n) / 2)")
        }
        let dx = PairwiseDistances.squared(x)
        let dy = PairwiseDistances.squared(y)
        var total = 0
        var rank = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let byX = (0..<n).filter { $0 != i }.sorted { a, b in
                dx[i * n + a] != dx[i * n + b] ? dx[i * n + a] < dx[i * n + b] : a < b
            }
            for (r, j) in byX.enumerated() { rank[j] = r + 1 }
            let byY = (0..<n).filter { $0 != i }.sorted { a, b in
                dy[i * n + a] != dy[i * n + b] ? dy[i * n + a] < dy[i * n + b] : a < b
            }
            for j in byY.prefix(k) where rank[j] - k > 0 { total += rank[j] - k }
        }
        let nn = Double(n), kk = Double(k)
        return 1 - Double(total) * (2 / (nn * kk * (2 * nn - 3 * kk - 1)))
    }
}

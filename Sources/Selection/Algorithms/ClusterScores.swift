/// Cluster-quality scores as scikit-learn computes them (the paper's layer study, Figure 4).
/// Noise labels (-1) are treated as a label like any other, as scikit-learn does.
public enum ClusterScores {
    private static func groups(_ labels: [Int]) -> (ids: [Int], index: [Int]) {
        let ids = Array(Set(labels)).sorted()
        var map: [Int: Int] = [:]
        for (i, l) in ids.enumerated() { map[l] = i }
        return (ids, labels.map { map[$0]! })
    }

    private static func check(_ x: Matrix, _ labels: [Int]) throws -> (k: Int, index: [Int]) {
        guard labels.count == x.rows else {
            throw SelectionError.invalidInput("\(labels.count) labels for \(x.rows) rows")
        }
        try x.checkFinite(name: "cluster-score input")
        let g = groups(labels)
        guard g.ids.count >= 2, g.ids.count < x.rows else {
            throw SelectionError.invalidParameter(
                "cluster scores need 2 <= labels (\(g.ids.count)) < samples (\(x.rows))")
        }
        return (g.ids.count, g.index)
    }

    private static func centroids(_ x: Matrix, _ index: [Int], _ k: Int) -> (centres: [[Double]], counts: [Int]) {
        var c = [[Double]](repeating: [Double](repeating: 0, count: x.cols), count: k)
        var counts = [Int](repeating: 0, count: k)
        for i in 0..<x.rows {
            counts[index[i]] += 1
            for j in 0..<x.cols { c[index[i]][j] += x[i, j] }
        }
        for t in 0..<k { for j in 0..<x.cols { c[t][j] /= Double(counts[t]) } }
        return (c, counts)
    }

    private static func dist2(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for j in a.indices { let t = a[j] - b[j]; s += t * t }
        return s
    }

    /// Calinski-Harabasz: between-cluster over within-cluster dispersion, scaled by (n-k)/(k-1).
    public static func calinskiHarabasz(_ x: Matrix, labels: [Int]) throws -> Double {
        let (k, index) = try check(x, labels)
        let (c, counts) = centroids(x, index, k)
        let mean = PairwiseDistances.columnMeans(x)
        var within = 0.0, between = 0.0
        for i in 0..<x.rows { within += dist2(x.row(i), c[index[i]]) }
        for t in 0..<k { between += Double(counts[t]) * dist2(c[t], mean) }
        if within == 0 { return 1 }
        return between * Double(x.rows - k) / (within * Double(k - 1))
    }

    /// Mean silhouette coefficient (euclidean); points alone in their cluster score 0.
    public static func silhouette(_ x: Matrix, labels: [Int]) throws -> Double {
        let (k, index) = try check(x, labels)
        let n = x.rows
        let d = PairwiseDistances.squared(x).map { $0.squareRoot() }
        var counts = [Int](repeating: 0, count: k)
        for i in 0..<n { counts[index[i]] += 1 }
        var total = 0.0
        for i in 0..<n {
            var sums = [Double](repeating: 0, count: k)
            for j in 0..<n { sums[index[j]] += d[i * n + j] }
            let own = index[i]
            guard counts[own] > 1 else { continue }
            let a = sums[own] / Double(counts[own] - 1)
            var b = Double.infinity
            for t in 0..<k where t != own { b = min(b, sums[t] / Double(counts[t])) }
            total += (b - a) / max(a, b)
        }
        return total / Double(n)
    }

    /// Davies-Bouldin: mean over clusters of the worst (s_i + s_j) / d(c_i, c_j).
    public static func daviesBouldin(_ x: Matrix, labels: [Int]) throws -> Double {
        let (k, index) = try check(x, labels)
        let (c, counts) = centroids(x, index, k)
        var s = [Double](repeating: 0, count: k)
        for i in 0..<x.rows { s[index[i]] += dist2(x.row(i), c[index[i]]).squareRoot() }
        for t in 0..<k { s[t] /= Double(counts[t]) }
        var total = 0.0
        for i in 0..<k {
            var worst = 0.0
            for j in 0..<k where j != i {
                let dc = dist2(c[i], c[j]).squareRoot()
                let r = dc == 0 ? 0 : (s[i] + s[j]) / dc  // scikit-learn: zero centroid distance -> inf -> ratio 0
                worst = max(worst, r)
            }
            total += worst
        }
        return total / Double(k)
    }
}

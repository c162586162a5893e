import Foundation

/// The joint probabilities P of t-SNE, as scikit-learn computes them: per point a Gaussian whose
/// precision is found by binary search to the desired perplexity (on float32 squared
/// distances, `_binary_search_perplexity`), then symmetrised and normalised.
enum TSNEAffinities {
    static let machineEpsilon = Double.ulpOfOne

    /// Conditional probabilities for rows of `k` squared distances each (row-major n x k).
    /// `excludeDiagonal` is the exact method's full matrix, where entry (i, i) is skipped.
    static func binarySearchPerplexity(
        _ sq: [Double], n: Int, k: Int, perplexity: Double,
        excludeDiagonal: Bool
    ) -> [Double] {
        var p = [Double](repeating: 0, count: n * k)
        let desiredEntropy = log(Double(Float(perplexity)))
        let dist = sq.map { Double(Float($0)) }
        let tolerance = Double(Float(1e-5))
        let epsilonDBL = Double(Float(1e-8))
        for i in 0..<n {
            var betaMin = -Double.infinity, betaMax = Double.infinity, beta = 1.0
            let o = i * k
            for _ in 0..<100 {
                var sumP = 0.0
                for j in 0..<k where !(excludeDiagonal && j == i) {
                    let v = exp(-dist[o + j] * beta)
                    p[o + j] = v
                    sumP += v
                }
                if sumP == 0 { sumP = epsilonDBL }
                var sumDistP = 0.0
                for j in 0..<k {
                    p[o + j] /= sumP
                    sumDistP += dist[o + j] * p[o + j]
                }
                let entropy = log(sumP) + beta * sumDistP
                let diff = entropy - desiredEntropy
                if abs(diff) <= tolerance { break }
                if diff > 0 {
                    betaMin = beta
                    beta = betaMax == .infinity ? beta * 2 : (beta + betaMax) / 2
                } else {
                    betaMax = beta
                    beta = betaMin == -.infinity ? beta / 2 : (beta + betaMin) / 2
                }
            }
        }
        return p
    }

    /// Dense joint P (n x n, zero diagonal) for the exact method, from full squared distances.
    static func exact(squaredDistances sq: [Double], n: Int, perplexity: Double) -> [Double] {
        let cond = binarySearchPerplexity(sq, n: n, k: n, perplexity: perplexity, excludeDiagonal: true)
        var p = [Double](repeating: 0, count: n * n)
        var sum = 0.0
        for i in 0..<n {
            for j in 0..<n where j != i {
                let v = cond[i * n + j] + cond[j * n + i]
                p[i * n + j] = v
                sum += v
            }
        }
        sum = max(sum, machineEpsilon)
        for i in 0..<n { for j in 0..<n where j != i { p[i * n + j] = max(p[i * n + j] / sum, machineEpsilon) } }
        return p
    }

    /// Sparse symmetric joint P over each point's `k` nearest neighbours (Barnes-Hut).
    static func nearestNeighbours(squaredDistances sq: [Double], n: Int, k: Int, perplexity: Double) -> SparseP {
        // k nearest (excluding self) of each row, then ordered by column as CSR sort_indices does.
        var nbr = [Int](repeating: 0, count: n * k)
        var nd = [Double](repeating: 0, count: n * k)
        var heapD = [Double](repeating: 0, count: k), heapI = [Int](repeating: 0, count: k)
        for i in 0..<n {
            // A max-heap of the k nearest so far (ties: lower index kept, as a stable order would).
            var size = 0
            let row = i * n
            func worse(_ a: Int, _ b: Int) -> Bool {
                heapD[a] != heapD[b] ? heapD[a] > heapD[b] : heapI[a] > heapI[b]
            }
            for j in 0..<n where j != i {
                let v = sq[row + j]
                if size < k {
                    heapD[size] = v; heapI[size] = j
                    var c = size
                    size += 1
                    while c > 0 {
                        let p = (c - 1) / 2
                        if worse(c, p) { heapD.swapAt(c, p); heapI.swapAt(c, p); c = p } else { break }
                    }
                } else if v < heapD[0] {
                    heapD[0] = v; heapI[0] = j
                    var c = 0
                    while true {
                        let l = 2 * c + 1, r = l + 1
                        var m = c
                        if l < size && worse(l, m) { m = l }
                        if r < size && worse(r, m) { m = r }
                        if m == c { break }
                        heapD.swapAt(c, m); heapI.swapAt(c, m); c = m
                    }
                }
            }
            let chosen = heapI[0..<size].sorted()
            for (t, j) in chosen.enumerated() { nbr[i * k + t] = j; nd[i * k + t] = sq[row + j] }
        }
        let cond = binarySearchPerplexity(nd, n: n, k: k, perplexity: perplexity, excludeDiagonal: false)
        // P + P^T on the union of the patterns.
        var rows = [[(Int, Double)]](repeating: [], count: n)
        for i in 0..<n {
            for t in 0..<k {
                let j = nbr[i * k + t], v = cond[i * k + t]
                rows[i].append((j, v))
                rows[j].append((i, v))
            }
        }
        var indptr = [0], indices = [Int](), values = [Double]()
        var sum = 0.0
        for i in 0..<n {
            let sorted = rows[i].sorted { $0.0 < $1.0 }
            var t = 0
            while t < sorted.count {
                var v = sorted[t].1
                var u = t + 1
                while u < sorted.count && sorted[u].0 == sorted[t].0 { v += sorted[u].1; u += 1 }
                indices.append(sorted[t].0); values.append(v); sum += v
                t = u
            }
            indptr.append(indices.count)
        }
        sum = max(sum, machineEpsilon)
        for t in values.indices { values[t] /= sum }
        return SparseP(n: n, indptr: indptr, indices: indices, values: values)
    }
}

/// A sparse (CSR) joint probability matrix.
struct SparseP: Sendable {
    let n: Int
    var indptr: [Int]
    var indices: [Int]
    var values: [Double]

    /// The dense n x n form.
    func dense() -> [Double] {
        var p = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for t in indptr[i]..<indptr[i + 1] { p[i * n + indices[t]] = values[t] } }
        return p
    }

    /// Every pair as a neighbour (used to compare Barnes-Hut with the exact gradient).
    static func fromDense(_ p: [Double], n: Int) -> SparseP {
        var indptr = [0], indices = [Int](), values = [Double]()
        for i in 0..<n {
            for j in 0..<n where j != i { indices.append(j); values.append(p[i * n + j]) }
            indptr.append(indices.count)
        }
        return SparseP(n: n, indptr: indptr, indices: indices, values: values)
    }
}

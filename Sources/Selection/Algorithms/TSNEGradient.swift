import Foundation

import Dispatch

/// The t-SNE objective (KL divergence of P and the Student-t Q, one degree of freedom) and its
/// gradient, exact or by Barnes-Hut, as scikit-learn's `_kl_divergence` and `_kl_divergence_bh`.
enum TSNEGradient {
    /// Exact gradient over dense P (n x n, zero diagonal). Returns (KL, gradient).
    static func exact(_ y: [Double], n: Int, dims: Int, p: [Double], computeError: Bool) -> (Double, [Double]) {
        var w = [Double](repeating: 0, count: n * n)
        var sum = 0.0
        for i in 0..<n {
            for j in (i + 1)..<max(n, i + 1) {
                var d2 = 0.0
                for a in 0..<dims { let t = y[i * dims + a] - y[j * dims + a]; d2 += t * t }
                let v = 1.0 / (1.0 + d2)
                w[i * n + j] = v; w[j * n + i] = v
                sum += v
            }
        }
        let eps = TSNEAffinities.machineEpsilon
        let norm = 2.0 * sum
        var kl = 0.0
        var grad = [Double](repeating: 0, count: n * dims)
        for i in 0..<n {
            for j in 0..<n where j != i {
                let q = max(w[i * n + j] / norm, eps)
                let pij = p[i * n + j]
                if computeError { kl += pij * log(max(pij, eps) / q) }
                let m = (pij - q) * w[i * n + j]
                for a in 0..<dims { grad[i * dims + a] += m * (y[i * dims + a] - y[j * dims + a]) }
            }
        }
        for t in grad.indices { grad[t] *= 4 }
        return (computeError ? kl : .nan, grad)
    }

    /// Barnes-Hut gradient with opening angle `theta` over sparse P. Returns (KL, gradient).
    static func barnesHut(
        _ y: [Double], n: Int, dims: Int, p: SparseP, theta: Double,
        computeError: Bool, threads: Int = 2
    ) -> (Double, [Double]) {
        var neg = [Double](repeating: 0, count: n * dims)
        var sumQ = 0.0
        let tree = y.withUnsafeBufferPointer { SpaceTree(points: $0, n: n, dims: dims) }
        let workers = max(1, min(threads, n / 256 + 1))
        var partial = [Double](repeating: 0, count: workers)
        y.withUnsafeBufferPointer { yb in
            neg.withUnsafeMutableBufferPointer { nb in
                partial.withUnsafeMutableBufferPointer { pb in
                    nonisolated(unsafe) let yp = yb.baseAddress!
                    nonisolated(unsafe) let np = nb.baseAddress!
                    nonisolated(unsafe) let pp = pb.baseAddress!
                    let theta2 = theta * theta
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        let lo = n * w / workers, hi = n * (w + 1) / workers
                        pp[w] = tree.negativeForces(yp, range: lo..<hi, theta2: theta2, force: np)
                    }
                }
            }
        }
        for s in partial { sumQ += s }
        sumQ = max(sumQ, TSNEAffinities.machineEpsilon)
        var grad = [Double](repeating: 0, count: n * dims)
        var error = 0.0
        let tiny = Double(Float.leastNormalMagnitude)
        y.withUnsafeBufferPointer { y in
            p.indptr.withUnsafeBufferPointer { indptr in
                p.indices.withUnsafeBufferPointer { indices in
                    p.values.withUnsafeBufferPointer { values in
                        neg.withUnsafeBufferPointer { neg in
                            grad.withUnsafeMutableBufferPointer { grad in
                                for i in 0..<n {
                                    var pos = SIMD3<Double>(repeating: 0)
                                    var yi = SIMD3<Double>(repeating: 0)
                                    for a in 0..<dims { yi[a] = y[i * dims + a] }
                                    for t in indptr[i]..<indptr[i + 1] {
                                        let j = indices[t]
                                        var buff = SIMD3<Double>(repeating: 0)
                                        for a in 0..<dims { buff[a] = yi[a] - y[j * dims + a] }
                                        let d2 = (buff * buff).sum()
                                        let q = 1.0 / (1.0 + d2)
                                        let pij = values[t]
                                        if computeError { error += pij * log(max(pij, tiny) / max(q / sumQ, tiny)) }
                                        pos += (pij * q) * buff
                                    }
                                    for a in 0..<dims { grad[i * dims + a] = 4 * (pos[a] - neg[i * dims + a] / sumQ) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (computeError ? error : .nan, grad)
    }
}

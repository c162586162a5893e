import COpenBLAS

/// Principal component analysis to `components` dimensions, with scikit-learn's sign convention
/// (`svd_flip(u_based_decision=False)`: the largest-magnitude entry of each component is positive).
/// Uses the n x n Gram matrix when there are fewer samples than columns, else the covariance.
public struct PCA: Sendable {
    public var components: Int
    /// Iteration cap of the subspace eigensolver used above 600 rows (or columns).
    public var maxIterations: Int

    public init(components: Int = 2, maxIterations: Int = 1000) {
        self.components = components
        self.maxIterations = maxIterations
    }

    /// Fits on `x` and returns the projected rows (n x k) with the fitted model.
    public func fitTransform(_ x: Matrix) throws -> PCAResult {
        guard components >= 1 else {
            throw SelectionError.invalidParameter("PCA needs at least 1 component, got \(components)")
        }
        try x.checkFinite(name: "PCA input")
        guard x.rows >= 1, x.cols >= 1 else { throw SelectionError.invalidInput("PCA input is empty") }
        return try fit(centred: PairwiseDistances.centred(x), mean: PairwiseDistances.columnMeans(x), gram: nil)
    }

    /// PCA of already centred rows; `gram` (xc xc^T) is reused when given.
    func fit(centred xc: Matrix, mean: [Double], gram: [Double]?) throws -> PCAResult {
        let n = xc.rows, d = xc.cols
        let k = min(components, n, d)
        var comps = [[Double]]()  // k x d
        var variances = [Double]()
        let denom = Double(max(n - 1, 1))
        if n < d {
            let g = gram ?? PairwiseDistances.gram(xc)
            let eig = try SymmetricEigen.top(g, n: n, k: k, maxIterations: maxIterations)
            for t in 0..<k {
                let lambda = max(eig.values[t], 0)
                variances.append(lambda / denom)
                var v = [Double](repeating: 0, count: d)
                if lambda > 0 {
                    let u = eig.vectors[t]
                    let s = 1.0 / lambda.squareRoot()
                    cblas_dgemv(
                        CblasRowMajor, CblasTrans, Int32(n), Int32(d), s, xc.values, Int32(d),
                        u, 1, 0.0, &v, 1)
                }
                comps.append(v)
            }
        } else {
            var cov = [Double](repeating: 0, count: d * d)
            cblas_dsyrk(
                CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(n), 1.0,
                xc.values, Int32(d), 0.0, &cov, Int32(d))
            for i in 0..<d { for j in 0..<i { cov[i * d + j] = cov[j * d + i] } }
            let eig = try SymmetricEigen.top(cov, n: d, k: k, maxIterations: maxIterations)
            for t in 0..<k {
                variances.append(max(eig.values[t], 0) / denom)
                comps.append(eig.vectors[t])
            }
        }
        for t in 0..<k {
            var best = 0
            for j in 1..<d where abs(comps[t][j]) > abs(comps[t][best]) { best = j }
            if comps[t][best] < 0 { comps[t] = comps[t].map { -$0 } }
        }
        let compMatrix = try Matrix(rowArrays: comps)
        var scores = [Double](repeating: 0, count: n * k)
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(k), Int32(d), 1.0,
            xc.values, Int32(d), compMatrix.values, Int32(d), 0.0, &scores, Int32(k))
        return PCAResult(
            scores: Matrix(unchecked: n, k, scores), components: compMatrix,
            explainedVariance: variances, mean: mean)
    }
}

/// A fitted PCA: projected rows, components (k x d), explained variance and the mean removed.
public struct PCAResult: Sendable, Equatable {
    public let scores: Matrix
    public let components: Matrix
    public let explainedVariance: [Double]
    public let mean: [Double]
}

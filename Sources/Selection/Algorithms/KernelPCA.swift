import Foundation

/// Kernel PCA as scikit-learn's `KernelPCA` (default linear kernel; RBF with gamma, default
/// 1 / n_features): centred kernel matrix, leading eigenpairs, eigenvectors signed so that each
/// one's largest-magnitude entry is positive, projections = eigenvector * sqrt(eigenvalue).
public struct KernelPCA: Sendable, Equatable {
    public enum Kernel: Sendable, Equatable {
        case linear
        /// exp(-gamma |x - y|^2); nil gamma means 1 / n_features.
        case rbf(gamma: Double?)
    }

    public var components: Int
    public var kernel: Kernel

    public init(components: Int = 2, kernel: Kernel = .linear) {
        self.components = components
        self.kernel = kernel
    }

    /// The projections of the rows of `x` (n x k).
    public func fitTransform(_ x: Matrix) throws -> Matrix {
        guard components >= 1 else { throw SelectionError.invalidParameter("Kernel PCA needs >= 1 component") }
        try x.checkFinite(name: "Kernel PCA input")
        let n = x.rows
        guard n >= 1, x.cols >= 1 else { throw SelectionError.invalidInput("Kernel PCA input is empty") }
        var k: [Double]
        switch kernel {
        case .linear:
            k = PairwiseDistances.gram(x)
        case let .rbf(gamma):
            let g = gamma ?? 1 / Double(x.cols)
            guard g > 0 else { throw SelectionError.invalidParameter("RBF gamma must be > 0, got \(g)") }
            k = PairwiseDistances.squared(x).map { exp(-g * $0) }
        }
        // Double centring: K - 1K/n - K1/n + 1K1/n^2.
        var rowMean = [Double](repeating: 0, count: n)
        for i in 0..<n { for j in 0..<n { rowMean[i] += k[i * n + j] } }
        for i in 0..<n { rowMean[i] /= Double(n) }
        let all = rowMean.reduce(0, +) / Double(n)
        for i in 0..<n { for j in 0..<n { k[i * n + j] += all - rowMean[i] - rowMean[j] } }
        let c = min(components, n)
        let eig = try SymmetricEigen.top(k, n: n, k: c)
        var out = [Double](repeating: 0, count: n * c)
        for t in 0..<c {
            var v = eig.vectors[t]
            var best = 0
            for i in 1..<n where abs(v[i]) > abs(v[best]) { best = i }
            if v[best] < 0 { v = v.map { -$0 } }
            let s = max(eig.values[t], 0).squareRoot()
            for i in 0..<n { out[i * c + t] = v[i] * s }
        }
        return Matrix(unchecked: n, c, out)
    }
}

import COpenBLAS

/// Pairwise squared euclidean distances through the Gram matrix of the column-centred data
/// (one `dsyrk`), the way to handle feature vectors of tens of thousands of columns.
enum PairwiseDistances {
    /// The column means of `x`.
    static func columnMeans(_ x: Matrix) -> [Double] {
        var mean = [Double](repeating: 0, count: x.cols)
        guard x.rows > 0 else { return mean }
        x.values.withUnsafeBufferPointer { p in
            mean.withUnsafeMutableBufferPointer { m in
                for i in 0..<x.rows {
                    let o = i * x.cols
                    for j in 0..<x.cols { m[j] += p[o + j] }
                }
                let inv = 1.0 / Double(x.rows)
                for j in 0..<x.cols { m[j] *= inv }
            }
        }
        return mean
    }

    /// `x` minus its column means.
    static func centred(_ x: Matrix) -> Matrix {
        let mean = columnMeans(x)
        var out = x.values
        out.withUnsafeMutableBufferPointer { p in
            for i in 0..<x.rows {
                let o = i * x.cols
                for j in 0..<x.cols { p[o + j] -= mean[j] }
            }
        }
        return Matrix(unchecked: x.rows, x.cols, out)
    }

    /// The full symmetric Gram matrix `x x^T` (n x n, row-major).
    static func gram(_ x: Matrix) -> [Double] {
        let n = x.rows, d = x.cols
        var g = [Double](repeating: 0, count: n * n)
        guard n > 0, d > 0 else { return g }
        x.values.withUnsafeBufferPointer { a in
            g.withUnsafeMutableBufferPointer { c in
                cblas_dsyrk(
                    CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(d), 1.0,
                    a.baseAddress, Int32(d), 0.0, c.baseAddress, Int32(n))
                for i in 0..<n { for j in 0..<i { c[i * n + j] = c[j * n + i] } }
            }
        }
        return g
    }

    /// Squared distances from a Gram matrix: g_ii + g_jj - 2 g_ij, clipped at 0, zero diagonal.
    static func squaredDistances(gram g: [Double], n: Int) -> [Double] {
        var d = [Double](repeating: 0, count: n * n)
        g.withUnsafeBufferPointer { gp in
            d.withUnsafeMutableBufferPointer { dp in
                for i in 0..<n {
                    let gii = gp[i * n + i]
                    for j in 0..<n where j != i {
                        dp[i * n + j] = Swift.max(gii + gp[j * n + j] - 2 * gp[i * n + j], 0)
                    }
                }
            }
        }
        return d
    }

    /// Squared pairwise distances of the rows of `x` (n x n, row-major).
    static func squared(_ x: Matrix) -> [Double] {
        squaredDistances(gram: gram(centred(x)), n: x.rows)
    }
}

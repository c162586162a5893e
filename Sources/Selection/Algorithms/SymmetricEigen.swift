import COpenBLAS

/// Leading eigenpairs of a symmetric matrix: LAPACK `dsyevd` for small matrices, subspace
/// iteration with a Rayleigh-Ritz step for large ones (only a few pairs are ever needed).
enum SymmetricEigen {
    /// All eigenpairs, eigenvalues descending; `vectors[k]` is the k-th eigenvector.
    static func full(_ a: [Double], n: Int) throws -> (values: [Double], vectors: [[Double]]) {
        guard n > 0 else { return ([], []) }
        var m = a  // row-major symmetric = column-major symmetric
        var w = [Double](repeating: 0, count: n)
        var jobz = Int8(UInt8(ascii: "V")), uplo = Int8(UInt8(ascii: "U"))
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        var lwork: Int32 = -1, liwork: Int32 = -1
        var wq = 0.0
        var iwq: Int32 = 0
        dsyevd_(&jobz, &uplo, &nn, &m, &lda, &w, &wq, &lwork, &iwq, &liwork, &info)
        lwork = Int32(wq); liwork = iwq
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_(&jobz, &uplo, &nn, &m, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0 else { throw SelectionError.numericalFailure("dsyevd returned info \(info)") }
        // Column k of the column-major result is eigenvector k (ascending).
        var values: [Double] = [], vectors: [[Double]] = []
        for k in stride(from: n - 1, through: 0, by: -1) {
            values.append(w[k])
            vectors.append(Array(m[(k * n)..<((k + 1) * n)]))
        }
        return (values, vectors)
    }

    /// The `k` largest eigenpairs (descending).
    static func top(_ a: [Double], n: Int, k: Int, denseLimit: Int = 600, maxIterations: Int = 1000) throws
        -> (values: [Double], vectors: [[Double]])
    {
        let k = min(k, n)
        if n <= denseLimit {
            let all = try full(a, n: n)
            return (Array(all.values.prefix(k)), Array(all.vectors.prefix(k)))
        }
        let b = min(n, k + 10)
        // Deterministic start: a fixed pseudo-random block.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var q = [Double](repeating: 0, count: n * b)  // row-major n x b
        for i in 0..<(n * b) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            q[i] = Double(Int64(bitPattern: state >> 11)) / Double(1 << 52) - 1
        }
        orthonormalize(&q, n: n, b: b)
        var z = [Double](repeating: 0, count: n * b)
        var previous = [Double](repeating: .infinity, count: k)
        for iteration in 0..<maxIterations {
            multiply(a, n: n, q, b: b, into: &z)
            swap(&q, &z)
            orthonormalize(&q, n: n, b: b)
            if iteration % 5 == 4 {
                let ritz = try rayleighRitz(a, n: n, q: q, b: b, z: &z)
                let values = Array(ritz.values.prefix(k))
                var converged = true
                for t in 0..<k where abs(values[t] - previous[t]) > 1e-13 * max(abs(values[0]), 1e-300) {
                    converged = false
                }
                previous = values
                if converged { break }
            }
        }
        let ritz = try rayleighRitz(a, n: n, q: q, b: b, z: &z)
        return (Array(ritz.values.prefix(k)), Array(ritz.vectors.prefix(k)))
    }

    private static func multiply(_ a: [Double], n: Int, _ q: [Double], b: Int, into z: inout [Double]) {
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(b), Int32(n), 1.0,
            a, Int32(n), q, Int32(b), 0.0, &z, Int32(b))
    }

    private static func rayleighRitz(_ a: [Double], n: Int, q: [Double], b: Int, z: inout [Double]) throws
        -> (values: [Double], vectors: [[Double]])
    {
        multiply(a, n: n, q, b: b, into: &z)
        var t = [Double](repeating: 0, count: b * b)
        cblas_dgemm(
            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(b), Int32(b), Int32(n), 1.0,
            q, Int32(b), z, Int32(b), 0.0, &t, Int32(b))
        for i in 0..<b {
            for j in 0..<i { let s = 0.5 * (t[i * b + j] + t[j * b + i]); t[i * b + j] = s; t[j * b + i] = s }
        }
        let small = try full(t, n: b)
        let vectors = small.vectors.map { y -> [Double] in
            var v = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var s = 0.0
                for j in 0..<b { s += q[i * b + j] * y[j] }
                v[i] = s
            }
            return v
        }
        return (small.values, vectors)
    }

    /// Modified Gram-Schmidt on the columns of a row-major n x b block (twice, for stability).
    private static func orthonormalize(_ q: inout [Double], n: Int, b: Int) {
        for _ in 0..<2 {
            for j in 0..<b {
                for p in 0..<j {
                    var dot = 0.0
                    for i in 0..<n { dot += q[i * b + j] * q[i * b + p] }
                    for i in 0..<n { q[i * b + j] -= dot * q[i * b + p] }
                }
                var norm = 0.0
                for i in 0..<n { norm += q[i * b + j] * q[i * b + j] }
                norm = norm.squareRoot()
                if norm > 0 { for i in 0..<n { q[i * b + j] /= norm } }
            }
        }
    }
}

import COpenBLAS

/// FlexLoRA's server step on one adapted projection (Bai et al., "Federated Fine-tuning of Large
/// Language Models under Heterogeneous Tasks and Client Resources", NeurIPS 2024): the weighted
/// mean of the clients' full low-rank updates, `M = sum_i w_i s_i B_i A_i` (`[out, in]`), and its
/// best rank-r approximation (Eckart-Young), handed back as LoRA factors of any rank.
///
/// `M` is never formed. Stacking the factors, `M = Bs As` with `Bs = [w_1 s_1 B_1 | ... ]`
/// (`[out, R]`) and `As = [A_1; ...]` (`[R, in]`), `R = sum_i r_i`. With the thin QR
/// factorisations `Bs = Q1 R1` and `As^T = Q2 R2`, `M = Q1 (R1 R2^T) Q2^T`, so the SVD of the
/// small core `R1 R2^T = U S V^T` gives `M = (Q1 U) S (Q2 V)^T` exactly. Cost: two QRs of
/// `[out or in, R]` and an SVD of at most `R x R`, instead of an SVD of `[out, in]`.
/// Double precision throughout (LAPACK `dgeqrf`, `dorgqr`, `dgesdd`).
public struct LowRankMean: Sendable {
    /// One client's factors of one projection: A `[rank, in]` and B `[out, rank]`, row-major as
    /// in `LoRAAdapter`, its LoRA scale (`alpha / rank`) and its aggregation weight.
    public struct Factors: Sendable {
        public var a: [Float]
        public var b: [Float]
        public var rank: Int
        public var scale: Double
        public var weight: Double
        public init(a: [Float], b: [Float], rank: Int, scale: Double, weight: Double) {
            self.a = a
            self.b = b
            self.rank = rank
            self.scale = scale
            self.weight = weight
        }
    }

    public let outFeatures: Int
    public let inFeatures: Int
    /// Singular values of the mean update, descending (at most `min(out, in, R)` of them).
    public let singularValues: [Double]
    /// Left singular vectors, `[out, p]` row-major (column j belongs to `singularValues[j]`).
    private let left: [Double]
    /// Right singular vectors, `[in, p]` row-major.
    private let right: [Double]

    /// The SVD of `sum_i (w_i / sum w) s_i B_i A_i`; the weights are normalised to sum to 1.
    public init(_ factors: [Factors], outFeatures m: Int, inFeatures n: Int) throws {
        guard !factors.isEmpty else { throw ModelError.invalidInput("FlexLoRA: no client factors to average") }
        let total = factors.reduce(0) { $0 + $1.weight }
        guard total > 0, total.isFinite else { throw ModelError.invalidInput("FlexLoRA: weights sum to \(total)") }
        for (i, f) in factors.enumerated() where f.rank <= 0 || f.a.count != f.rank * n || f.b.count != m * f.rank {
            throw ModelError.adapterMismatch(
                "FlexLoRA: factors \(i) have rank \(f.rank), |A| \(f.a.count), "
                    + "|B| \(f.b.count) for [\(m), \(n)]")
        }
        let r = factors.reduce(0) { $0 + $1.rank }
        // Column-major stacks: bs [m, R] with client i's columns scaled by w_i s_i; at = As^T [n, R].
        var bs = [Double](repeating: 0, count: m * r)
        var at = [Double](repeating: 0, count: n * r)
        var column = 0
        for f in factors {
            let c = f.weight / total * f.scale
            for k in 0..<f.rank {
                for row in 0..<m { bs[row + (column + k) * m] = c * Double(f.b[row * f.rank + k]) }
                for q in 0..<n { at[q + (column + k) * n] = Double(f.a[k * n + q]) }
            }
            column += f.rank
        }
        let (q1, r1, k1) = try Self.thinQR(&bs, rows: m, columns: r)
        let (q2, r2, k2) = try Self.thinQR(&at, rows: n, columns: r)
        // core [k1, k2] = r1 [k1, R] * r2^T [R, k2], column-major.
        var core = [Double](repeating: 0, count: k1 * k2)
        cblas_dgemm(
            CblasColMajor, CblasNoTrans, CblasTrans, Int32(k1), Int32(k2), Int32(r), 1, r1, Int32(k1),
            r2, Int32(k2), 0, &core, Int32(k1))
        let (u, s, vt, p) = try Self.svd(&core, rows: k1, columns: k2)
        // left = q1 [m, k1] * u [k1, p]; right = q2 [n, k2] * vt^T [k2, p]; then to row-major.
        var l = [Double](repeating: 0, count: m * p)
        var rr = [Double](repeating: 0, count: n * p)
        cblas_dgemm(
            CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(p), Int32(k1), 1, q1, Int32(m),
            u, Int32(k1), 0, &l, Int32(m))
        cblas_dgemm(
            CblasColMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(p), Int32(k2), 1, q2, Int32(n),
            vt, Int32(p), 0, &rr, Int32(n))
        var leftRows = [Double](repeating: 0, count: m * p)
        var rightRows = [Double](repeating: 0, count: n * p)
        for j in 0..<p {
            for row in 0..<m { leftRows[row * p + j] = l[row + j * m] }
            for q in 0..<n { rightRows[q * p + j] = rr[q + j * n] }
        }
        outFeatures = m
        inFeatures = n
        singularValues = s
        left = leftRows
        right = rightRows
    }

    /// LoRA factors of `rank` whose update `scale * B A` is the best rank-`rank` approximation of
    /// the mean: `B = U_r S_r / scale` (`[out, rank]`), `A = V_r^T` (`[rank, in]`), as FlexLoRA
    /// hands each client its share (singular values on B). Ranks beyond the mean's get zeros.
    public func factors(rank: Int, scale: Double) throws -> (a: [Float], b: [Float]) {
        guard rank > 0, scale > 0, scale.isFinite else {
            throw ModelError.invalidInput("FlexLoRA: rank \(rank) and scale \(scale) must be positive")
        }
        let p = singularValues.count
        var a = [Float](repeating: 0, count: rank * inFeatures)
        var b = [Float](repeating: 0, count: outFeatures * rank)
        for j in 0..<min(rank, p) {
            let sj = singularValues[j] / scale
            for row in 0..<outFeatures { b[row * rank + j] = Float(left[row * p + j] * sj) }
            for q in 0..<inFeatures { a[j * inFeatures + q] = Float(right[q * p + j]) }
        }
        return (a, b)
    }

    /// Thin QR of a column-major `[rows, columns]` matrix (overwritten): Q `[rows, k]` and the
    /// upper-trapezoidal R `[k, columns]`, both column-major, `k = min(rows, columns)`.
    private static func thinQR(_ x: inout [Double], rows: Int, columns: Int) throws -> ([Double], [Double], Int) {
        let k = min(rows, columns)
        var m = Int32(rows), n = Int32(columns), lda = Int32(rows), info: Int32 = 0
        var tau = [Double](repeating: 0, count: k)
        var query = 0.0, lwork: Int32 = -1
        dgeqrf_(&m, &n, &x, &lda, &tau, &query, &lwork, &info)
        lwork = Int32(max(query, 1))
        var work = [Double](repeating: 0, count: Int(lwork))
        dgeqrf_(&m, &n, &x, &lda, &tau, &work, &lwork, &info)
        guard info == 0 else { throw ModelError.invalidInput("FlexLoRA: dgeqrf returned info \(info)") }
        var r = [Double](repeating: 0, count: k * columns)
        for j in 0..<columns { for i in 0...min(j, k - 1) { r[i + j * k] = x[i + j * rows] } }
        var q = Array(x[0..<(rows * k)])
        var kk = Int32(k), qn = Int32(k)
        lwork = -1
        dorgqr_(&m, &qn, &kk, &q, &lda, tau, &query, &lwork, &info)
        lwork = Int32(max(query, 1))
        work = [Double](repeating: 0, count: Int(lwork))
        dorgqr_(&m, &qn, &kk, &q, &lda, tau, &work, &lwork, &info)
        guard info == 0 else { throw ModelError.invalidInput("FlexLoRA: dorgqr returned info \(info)") }
        return (q, r, k)
    }

    /// Thin SVD of a column-major `[rows, columns]` matrix (overwritten): U `[rows, p]`, S (p,
    /// descending), V^T `[p, columns]`, column-major, `p = min(rows, columns)`.
    static func svd(_ x: inout [Double], rows: Int, columns: Int) throws -> ([Double], [Double], [Double], Int) {
        let p = min(rows, columns)
        var jobz = Int8(UInt8(ascii: "S"))
        var m = Int32(rows), n = Int32(columns), lda = Int32(rows), ldu = Int32(rows), ldvt = Int32(p), info: Int32 = 0
        var s = [Double](repeating: 0, count: p)
        var u = [Double](repeating: 0, count: rows * p)
        var vt = [Double](repeating: 0, count: p * columns)
        var iwork = [Int32](repeating: 0, count: 8 * p)
        var query = 0.0, lwork: Int32 = -1
        dgesdd_(&jobz, &m, &n, &x, &lda, &s, &u, &ldu, &vt, &ldvt, &query, &lwork, &iwork, &info)
        lwork = Int32(max(query, 1))
        var work = [Double](repeating: 0, count: Int(lwork))
        dgesdd_(&jobz, &m, &n, &x, &lda, &s, &u, &ldu, &vt, &ldvt, &work, &lwork, &iwork, &info)
        guard info == 0 else { throw ModelError.invalidInput("FlexLoRA: dgesdd returned info \(info)") }
        return (u, s, vt, p)
    }
}

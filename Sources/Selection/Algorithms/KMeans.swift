import Foundation

/// k-means as scikit-learn's `KMeans` (Lloyd): k-means++ seeding with 2 + floor(ln k) local
/// trials, `restarts` runs keeping the lowest inertia, at most `maxIterations` iterations, stop
/// when the centres move by at most tol * mean feature variance (squared, summed) or labels settle.
public struct KMeans: Sendable {
    public var clusters: Int
    public var restarts: Int
    public var maxIterations: Int
    public var tolerance: Double

    public init(clusters: Int, restarts: Int = 10, maxIterations: Int = 300, tolerance: Double = 1e-4) {
        self.clusters = clusters
        self.restarts = restarts
        self.maxIterations = maxIterations
        self.tolerance = tolerance
    }

    /// Clusters the rows of `x` from k-means++ seeds drawn with `rng`.
    public func fit(_ x: Matrix, using rng: inout some RandomNumberGenerator) throws -> KMeansResult {
        try validate(x)
        var best: KMeansResult? = nil
        for _ in 0..<max(restarts, 1) {
            let seeds = plusPlusSeeds(x, using: &rng)
            let r = lloyd(x, centres: seeds)
            if best == nil || r.inertia < best!.inertia { best = r }
        }
        return best!
    }

    /// Lloyd iterations from the given initial centres (one run).
    public func fit(_ x: Matrix, initialCentres: Matrix) throws -> KMeansResult {
        try validate(x)
        guard initialCentres.rows == clusters, initialCentres.cols == x.cols else {
            throw SelectionError.invalidInput(
                "initial centres are \(initialCentres.rows) x \(initialCentres.cols), expected \(clusters) x \(x.cols)")
        }
        return lloyd(x, centres: initialCentres.values)
    }

    private func validate(_ x: Matrix) throws {
        try x.checkFinite(name: "k-means input")
        guard clusters >= 1, clusters <= x.rows else {
            throw SelectionError.invalidParameter("k-means needs 1 <= clusters (\(clusters)) <= samples (\(x.rows))")
        }
    }

    static func squaredDistance(
        _ a: UnsafeBufferPointer<Double>, _ ai: Int, _ b: UnsafeBufferPointer<Double>, _ bi: Int, _ d: Int
    ) -> Double {
        var s = 0.0
        for j in 0..<d { let t = a[ai * d + j] - b[bi * d + j]; s += t * t }
        return s
    }

    func plusPlusSeeds(_ x: Matrix, using rng: inout some RandomNumberGenerator) -> [Double] {
        let n = x.rows, d = x.cols, k = clusters
        let trials = 2 + Int(log(Double(k)))
        var centres = [Double]()
        centres.reserveCapacity(k * d)
        let first = Int.random(in: 0..<n, using: &rng)
        centres.append(contentsOf: x.row(first))
        var closest = [Double](repeating: 0, count: n)
        x.values.withUnsafeBufferPointer { xp in
            centres.withUnsafeBufferPointer { cp in
                for i in 0..<n { closest[i] = KMeans.squaredDistance(xp, i, cp, 0, d) }
            }
            var potential = closest.reduce(0, +)
            for _ in 1..<k {
                var bestCandidate = 0, bestPotential = Double.infinity
                var bestClosest = closest
                for _ in 0..<trials {
                    let r = Double.random(in: 0..<1, using: &rng) * potential
                    var acc = 0.0, cand = n - 1
                    for i in 0..<n { acc += closest[i]; if acc > r { cand = i; break } }
                    var newClosest = closest
                    for i in 0..<n {
                        newClosest[i] = min(closest[i], KMeans.squaredDistance(xp, i, xp, cand, d))
                    }
                    let pot = newClosest.reduce(0, +)
                    if pot < bestPotential { bestPotential = pot; bestCandidate = cand; bestClosest = newClosest }
                }
                centres.append(contentsOf: x.row(bestCandidate))
                closest = bestClosest
                potential = bestPotential
            }
        }
        return centres
    }

    func lloyd(_ x: Matrix, centres initial: [Double]) -> KMeansResult {
        let n = x.rows, d = x.cols, k = clusters
        // tol scaled by the mean feature variance, as scikit-learn's _tolerance.
        let mean = PairwiseDistances.columnMeans(x)
        var variance = 0.0
        for i in 0..<n { for j in 0..<d { let t = x[i, j] - mean[j]; variance += t * t } }
        let tol = tolerance * variance / Double(n) / Double(d)
        var centres = initial
        var labels = [Int](repeating: -1, count: n)
        var iterations = 0
        func assign() -> (labels: [Int], inertia: Double) {
            var l = [Int](repeating: 0, count: n)
            var inertia = 0.0
            x.values.withUnsafeBufferPointer { xp in
                centres.withUnsafeBufferPointer { cp in
                    for i in 0..<n {
                        var best = 0, bd = Double.infinity
                        for c in 0..<k {
                            let dd = KMeans.squaredDistance(xp, i, cp, c, d)
                            if dd < bd { bd = dd; best = c }
                        }
                        l[i] = best
                        inertia += bd
                    }
                }
            }
            return (l, inertia)
        }
        for it in 0..<maxIterations {
            iterations = it + 1
            let (newLabels, _) = assign()
            var sums = [Double](repeating: 0, count: k * d)
            var counts = [Int](repeating: 0, count: k)
            for i in 0..<n {
                counts[newLabels[i]] += 1
                for j in 0..<d { sums[newLabels[i] * d + j] += x[i, j] }
            }
            var shift = 0.0
            for c in 0..<k where counts[c] > 0 {
                for j in 0..<d {
                    let v = sums[c * d + j] / Double(counts[c])
                    shift += (v - centres[c * d + j]) * (v - centres[c * d + j])
                    centres[c * d + j] = v
                }
            }
            let settled = newLabels == labels
            labels = newLabels
            if settled || shift <= tol { break }
        }
        let final = assign()
        return KMeansResult(
            labels: final.labels, centres: Matrix(unchecked: k, d, centres), inertia: final.inertia,
            iterations: iterations)
    }
}

/// k-means output: a label per row, the centres (k x d), inertia and iterations.
public struct KMeansResult: Sendable, Equatable {
    public let labels: [Int]
    public let centres: Matrix
    public let inertia: Double
    public let iterations: Int
}

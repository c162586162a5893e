/// The paired bootstrap of a mean difference: per-sample differences d_i (method A minus method B
/// on the same test sample), resampled with replacement `resamples` times from a fixed seed; the
/// interval is the percentiles (numpy's default linear interpolation) of the resampled means.
public enum PairedBootstrap {
    public static let defaultResamples = 10_000
    public static let defaultSeed: UInt64 = 20_250_614

    public struct Interval: Sendable, Equatable, Codable {
        /// The mean of the differences (the point estimate).
        public var mean: Double
        public var lower: Double
        public var upper: Double
    }

    /// The q-quantile (0...1) of ascending `sorted` values as numpy.percentile(…, 100 q) computes
    /// it by default: position q (n - 1), linear between the neighbours.
    public static func percentile(sorted: [Double], _ q: Double) -> Double {
        precondition(!sorted.isEmpty)
        let pos = q * Double(sorted.count - 1)
        let lo = Int(pos.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        let frac = pos - Double(lo)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * frac
    }

    /// The means of `resamples` resamples (each n draws with replacement) of `values`.
    public static func resampledMeans(
        _ values: [Double], resamples: Int = defaultResamples,
        seed: UInt64 = defaultSeed
    ) -> [Double] {
        let n = values.count
        guard n > 0 else { return [] }
        var g = SeededGenerator(state: seed)
        var out = [Double](repeating: 0, count: resamples)
        values.withUnsafeBufferPointer { v in
            for b in 0..<resamples {
                var s = 0.0
                for _ in 0..<n { s += v[Int.random(in: 0..<n, using: &g)] }
                out[b] = s / Double(n)
            }
        }
        return out
    }

    /// The percentile interval (`level`, e.g. 0.95) of the mean of `values` (paired differences,
    /// or one method's per-sample scores).
    public static func interval(
        _ values: [Double], resamples: Int = defaultResamples, seed: UInt64 = defaultSeed,
        level: Double = 0.95
    ) -> Interval {
        let mean = values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
        let means = resampledMeans(values, resamples: resamples, seed: seed).sorted()
        guard !means.isEmpty else { return Interval(mean: mean, lower: .nan, upper: .nan) }
        let tail = (1 - level) / 2
        return Interval(mean: mean, lower: percentile(sorted: means, tail), upper: percentile(sorted: means, 1 - tail))
    }
}

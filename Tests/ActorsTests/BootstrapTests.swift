import Foundation
import Testing
@testable import Actors

/// `fedhds compare`'s statistics against cases computed independently: numpy's percentiles and
/// bootstrap (Golden/make_bootstrap_golden.py), and the exact bootstrap distribution of n = 4
/// samples enumerated here (4^4 equally likely resamples).
@Suite struct BootstrapTests {
    struct Golden: Decodable {
        struct Percentile: Decodable { var values: [Double]; var q: Double; var expected: Double }
        struct Boot: Decodable {
            var differences: [Double]; var mean: Double; var lower: Double; var upper: Double; var sd_of_means: Double
        }
        var percentiles: [Percentile]
        var bootstrap: Boot
    }

    static func golden() throws -> Golden {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Golden/bootstrap.json")
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }

    @Test func percentilesAreNumpys() throws {
        for p in try Self.golden().percentiles {
            let got = PairedBootstrap.percentile(sorted: p.values.sorted(), p.q)
            #expect(abs(got - p.expected) < 1e-12, "percentile \(p.q) of \(p.values): \(got), numpy \(p.expected)")
        }
    }

    @Test func intervalMatchesNumpysBootstrapWithinMonteCarloError() throws {
        let g = try Self.golden().bootstrap
        let i = PairedBootstrap.interval(g.differences)
        #expect(abs(i.mean - g.mean) < 1e-12)
        // 10,000 resamples: the standard error of a 2.5% quantile is about 0.03 sd of the means.
        #expect(abs(i.lower - g.lower) < 0.15 * g.sd_of_means, "lower \(i.lower), numpy \(g.lower)")
        #expect(abs(i.upper - g.upper) < 0.15 * g.sd_of_means, "upper \(i.upper), numpy \(g.upper)")
        // Fixed seed: the same interval every time; another seed moves it a little.
        #expect(PairedBootstrap.interval(g.differences) == i)
        #expect(PairedBootstrap.interval(g.differences, seed: 1) != i)
    }

    @Test func fourSamplesMatchTheEnumeratedBootstrapDistribution() {
        let d = [0.0, 0.1, 0.4, 1.0]
        var exact: [Double: Int] = [:]  // resample mean -> how many of the 256 resamples give it
        for a in 0..<4 {
            for b in 0..<4 {
                for c in 0..<4 {
                    for e in 0..<4 {
                        let m = ((d[a] + d[b] + d[c] + d[e]) / 4 * 1e9).rounded() / 1e9
                        exact[m, default: 0] += 1
                    }
                }
            }
        }
        let atoms = exact.keys.sorted()
        func quantile(_ q: Double) -> (value: Double, margin: Double) {
            var cum = 0.0
            for v in atoms {
                let lo = cum
                cum += Double(exact[v]!) / 256
                if cum >= q { return (v, min(q - lo, cum - q)) }
            }
            return (atoms.last!, 0)
        }
        let means = PairedBootstrap.resampledMeans(d)
        #expect(means.count == 10_000)
        // Each atom's frequency within 5 standard errors of its exact probability.
        var seen: [Double: Int] = [:]
        for m in means { seen[(m * 1e9).rounded() / 1e9, default: 0] += 1 }
        #expect(Set(seen.keys).isSubset(of: Set(atoms)))
        for v in atoms {
            let p = Double(exact[v]!) / 256
            let se = (p * (1 - p) / 10_000).squareRoot()
            #expect(
                abs(Double(seen[v] ?? 0) / 10_000 - p) < 5 * se, "mean \(v): \(seen[v] ?? 0) of 10000, exact p \(p)")
        }
        // The 2.5% and 97.5% quantiles fall well inside one atom each, so the interval is exact.
        let (lo, loMargin) = quantile(0.025), (hi, hiMargin) = quantile(0.975)
        #expect(loMargin > 0.005 && hiMargin > 0.005)
        let i = PairedBootstrap.interval(d)
        #expect(abs(i.lower - lo) < 1e-12, "lower \(i.lower), exact \(lo)")
        #expect(abs(i.upper - hi) < 1e-12, "upper \(i.upper), exact \(hi)")
        #expect(abs(i.mean - 0.375) < 1e-15)
    }
}

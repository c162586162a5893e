import Foundation

/// Gamma and Dirichlet draws (Marsaglia and Tsang, 2000, "A simple method for generating gamma
/// variables"; shape < 1 by the boost Gamma(a) = Gamma(a + 1) * U^(1/a)).
public enum Dirichlet {
    /// One Gamma(shape, 1) draw; shape must be > 0.
    public static func gamma(shape: Double, using generator: inout some RandomNumberGenerator) -> Double {
        if shape < 1 {
            let g = gamma(shape: shape + 1, using: &generator)
            let u = RandomDraws.uniform(using: &generator)
            return g * pow(u, 1.0 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1.0 / (9.0 * d).squareRoot()
        while true {
            var x = 0.0
            var v = 0.0
            repeat {
                x = RandomDraws.normal(using: &generator)
                v = 1.0 + c * x
            } while v <= 0
            v = v * v * v
            let u = RandomDraws.uniform(using: &generator)
            let x2 = x * x
            if u < 1.0 - 0.0331 * x2 * x2 { return d * v }
            if log(u) < 0.5 * x2 + d * (1.0 - v + log(v)) { return d * v }
        }
    }

    /// One draw from the symmetric Dirichlet(alpha, ..., alpha) over `count` categories.
    public static func sample(alpha: Double, count: Int, using generator: inout some RandomNumberGenerator) throws
        -> [Double]
    {
        guard alpha > 0, alpha.isFinite else {
            throw DataError.invalidArgument("Dirichlet alpha must be a positive number, got \(alpha)")
        }
        guard count > 0 else { throw DataError.invalidArgument("Dirichlet needs at least one category, got \(count)") }
        var g = [Double](repeating: 0, count: count)
        var sum = 0.0
        for i in 0..<count {
            g[i] = gamma(shape: alpha, using: &generator)
            sum += g[i]
        }
        if sum <= 0 {  // every draw underflowed (only for tiny alpha): fall back to one random vertex
            g[RandomDraws.integer(below: count, using: &generator)] = 1
            return g
        }
        for i in 0..<count { g[i] /= sum }
        return g
    }
}

import Foundation

/// The elementary random draws the partitions use, written out so that a seed gives the same
/// partition on every platform and Swift version (the standard library's shuffle may change).
public enum RandomDraws {
    /// Uniform in the open interval (0, 1), from the top 53 bits of one 64-bit draw.
    @inlinable
    public static func uniform(using generator: inout some RandomNumberGenerator) -> Double {
        (Double(generator.next() >> 11) + 0.5) * 0x1p-53
    }

    /// Uniform integer in 0..<bound, unbiased (rejection of the short last block). A bound of 1 or
    /// less gives 0 without drawing.
    public static func integer(below bound: Int, using generator: inout some RandomNumberGenerator) -> Int {
        guard bound > 1 else { return 0 }
        let b = UInt64(bound)
        let limit = UInt64.max - (UInt64.max % b)  // accept draws < limit (a multiple of b)
        while true {
            let x = generator.next()
            if x < limit { return Int(x % b) }
        }
    }

    /// Standard normal (Box-Muller, one value per two uniforms).
    public static func normal(using generator: inout some RandomNumberGenerator) -> Double {
        let u1 = uniform(using: &generator)
        let u2 = uniform(using: &generator)
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }

    /// Fisher-Yates shuffle in place (from the last element down).
    public static func shuffle<T>(_ array: inout [T], using generator: inout some RandomNumberGenerator) {
        var i = array.count - 1
        while i > 0 {
            let j = integer(below: i + 1, using: &generator)
            if i != j { array.swapAt(i, j) }
            i -= 1
        }
    }

    /// `count` distinct indices of 0..<n in random order (partial Fisher-Yates).
    public static func choose(_ count: Int, of n: Int, using generator: inout some RandomNumberGenerator) -> [Int] {
        let k = max(0, min(count, n))
        var pool = Array(0..<n)
        for i in 0..<k {
            let j = i + integer(below: n - i, using: &generator)
            pool.swapAt(i, j)
        }
        return Array(pool[0..<k])
    }
}

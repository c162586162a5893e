import Testing
@testable import Transport

/// The vectorised finiteness check against the plain definition, at every position of short and
/// odd-length arrays (16-lane blocks and the tail) and for every kind of non-finite value.
@Test func firstNonFiniteMatchesTheScalarDefinition() {
    let specials: [Float] = [
        .nan, -.nan, .infinity, -.infinity, Float(bitPattern: 0x7f80_0001), Float(bitPattern: 0xffc0_0000)
    ]
    // Finite values that share bits with non-finite ones: largest magnitudes, subnormals, zeros.
    let finite: [Float] = [
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0, 0, 1.5,
        Float(bitPattern: 0x7f7f_ffff), Float(bitPattern: 0x807f_ffff)
    ]
    for n in [0, 1, 15, 16, 17, 31, 32, 33, 47, 100] {
        let base = (0..<n).map { finite[$0 % finite.count] }
        #expect(FloatFrame.firstNonFinite(base) == nil)
        for position in 0..<n {
            for s in specials {
                var v = base
                v[position] = s
                if position + 3 < n { v[position + 3] = .nan }  // a later one does not change the answer
                #expect(FloatFrame.firstNonFinite(v) == position, "n \(n) position \(position) value \(s.bitPattern)")
            }
        }
    }
}

/// The fused copy-and-check of received float frames: every bit is copied (NaN payloads, signed
/// zeros, subnormals), from any source alignment, across the 64-value vector blocks and the tail,
/// and the answer is "all finite" exactly when `firstNonFinite` finds nothing.
@Test func copyFiniteCopiesEveryBitAndAnswersLikeTheScalarDefinition() {
    var rng = SplitMix64(seed: 5)
    let specials: [UInt32] = [0x7fc0_0000, 0xffc0_0001, 0x7f80_0000, 0xff80_0000, 0x7f80_0001]
    for n in [0, 1, 15, 63, 64, 65, 127, 128, 129, 200] {
        // Random finite bit patterns: exponent below all-ones, any sign and mantissa.
        let finite: [UInt32] = (0..<n).map { _ in
            let r = UInt32(truncatingIfNeeded: rng.next())
            return (r & 0x8000_0000) | (r % 0x7f80_0000)
        }
        for offset in 0..<4 {
            for position in [-1] + Array(Set([0, n / 2, n - 1]).filter { $0 >= 0 && $0 < n }).sorted() {
                var bits = finite
                if position >= 0 { bits[position] = specials[(position + offset) % specials.count] }
                let source =
                    [UInt8](repeating: 0, count: offset)
                    + bits.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } + [0]
                var copy = [Float](repeating: 1, count: n)
                let allFinite = source.withUnsafeBytes { raw in
                    copy.withUnsafeMutableBufferPointer {
                        FloatFrame.copyFinite(raw.baseAddress! + offset, into: $0.baseAddress!, count: n)
                    }
                }
                #expect(copy.map(\.bitPattern) == bits, "n \(n) offset \(offset) position \(position)")
                #expect(allFinite == (position < 0), "n \(n) offset \(offset) position \(position)")
            }
        }
    }
}

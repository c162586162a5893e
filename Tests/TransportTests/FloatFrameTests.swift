import Testing
@testable import Transport

/// The vectorised finiteness check against the plain definition, at every position of short and
/// odd-length arrays (16-lane blocks and the tail) and for every kind of non-finite value.
@Test func firstNonFiniteMatchesTheScalarDefinition() {
    let specials: [Float] = [.nan, -.nan, .infinity, -.infinity, Float(bitPattern: 0x7f80_0001), Float(bitPattern: 0xffc0_0000)]
    // Finite values that share bits with non-finite ones: largest magnitudes, subnormals, zeros.
    let finite: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0, 0, 1.5,
                           Float(bitPattern: 0x7f7f_ffff), Float(bitPattern: 0x807f_ffff)]
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

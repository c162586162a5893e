import TestSupport
/// The shared seeded generator of the tests.
typealias SplitMix64 = TestSupport.SplitMix64

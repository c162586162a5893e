import Testing
@testable import Model

extension BF16Kernel: CustomTestStringConvertible {
    public var testDescription: String { name }

    /// The fast bfloat16 paths this CPU runs (AMX and/or AVX512-BF16): the model-level bfloat16
    /// tests run once on each, so an AMX machine tests the AVX512-BF16 path too. Empty (the tests
    /// run no cases) on a CPU with neither.
    static var tested: [BF16Kernel] { available.filter { $0 != .portable } }
}

import Testing
@testable import Model

/// Every registered architecture's definition is consistent: the block's projections are exactly the
/// architecture's, each has a shape, the attention inputs fill the `q | k | v` row, and the
/// activation takes as many MLP inputs as it is given.
@Suite struct ArchitectureDefinitionTests {
    static let configs = [InferenceFixtures.llamaConfig, InferenceFixtures.gpt2Config]

    @Test func everyArchitectureHasATestConfig() {
        #expect(Set(Self.configs.map(\.architecture)) == Set(Architecture.allCases))
    }

    @Test(arguments: configs)
    func definitionIsConsistent(config c: ModelConfig) {
        let arch = c.definition
        let used = arch.attentionInputs + [arch.attentionOutput] + arch.mlpInputs + [arch.mlpOutput]
        #expect(used.count == Set(used).count && Set(used) == Set(arch.projections), "\(c.architecture)")
        #expect(Projection.all(for: c.architecture) == arch.projections)
        let shapes = arch.shapes(c)
        #expect(Set(shapes.keys) == Set(arch.projections))
        let d = c.hiddenSize, qkv = (c.headCount + 2 * c.kvHeadCount) * c.headDim
        let columns = arch.attentionColumns(c)
        #expect(columns.first?.offset == 0)
        #expect(columns.map { shapes[$0.projection]!.0 }.reduce(0, +) == qkv)
        #expect(arch.attentionInputs.allSatisfy { shapes[$0]!.1 == d })
        #expect(shapes[arch.attentionOutput]! == (d, c.headCount * c.headDim))
        #expect(arch.mlpInputs.allSatisfy { shapes[$0]! == (c.intermediateSize, d) })
        #expect(shapes[arch.mlpOutput]! == (d, c.intermediateSize))
        switch arch.activation {
        case .swiGLU: #expect(arch.mlpInputs.count == 2)
        case .geluTanh: #expect(arch.mlpInputs.count == 1)
        }
        if arch.norm == .layer { #expect(arch.biases) }
    }
}

import Testing

// Replaced by the module's real tests as it is built.
@Test func selectionTargetBuilds() { #expect(Bool(true)) }

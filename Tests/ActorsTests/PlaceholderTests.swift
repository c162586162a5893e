import Testing

// Replaced by the module's real tests as it is built.
@Test func actorsTargetBuilds() { #expect(Bool(true)) }

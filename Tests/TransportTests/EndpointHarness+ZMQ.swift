@testable import Transport

extension EndpointHarness {
    static func makeZMQ(_ kind: TransportKind, names: [String], audit: WireAuditLog?) async throws -> EndpointHarness {
        throw TransportError.invalidConfiguration("ZeroMQ endpoints are not in this commit")
    }
}

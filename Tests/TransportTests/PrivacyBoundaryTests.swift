import Foundation
import Testing
@testable import Transport

@Test func sigmaFollowsTheGaussianMechanismFormula() throws {
    // s = 2 * sqrt(2 ln(1.25 / delta)) / epsilon, computed here by hand for (1, 1e-5): ln(125000) = 11.736069...
    let m = try GaussianMechanism(epsilon: 1, delta: 1e-5)
    #expect(abs(m.sigma - 2 * (2 * 11.736069016284437).squareRoot()) < 1e-9)
    #expect(abs(try GaussianMechanism(epsilon: 4, delta: 1e-5).sigma - m.sigma / 4) < 1e-12)
    #expect(throws: TransportError.self) { try GaussianMechanism(epsilon: 0, delta: 1e-5) }
    #expect(throws: TransportError.self) { try GaussianMechanism(epsilon: 1, delta: 1) }
    #expect(throws: TransportError.self) { try GaussianMechanism(epsilon: .nan, delta: 0.1) }
}

@Test func empiricalNoiseMatchesSigma() throws {
    let boundary = try PrivacyBoundary(epsilon: 2, delta: 1e-4)
    let sigma = boundary.mechanism!.sigma
    var rng = SplitMix64(seed: 99)
    let n = 100_000, dims = 2
    var coords = [Float](repeating: 0, count: n * dims)
    for i in coords.indices { coords[i] = Float(i % 7) - 3 }  // tanh(c) is then removed
    let raw = try RawCentroids(round: 0, clientID: 0, clusterIDs: Array(0..<n), dims: dims, coordinates: coords)
    let released = boundary.release(raw, using: &rng)
    #expect(released.privacy == PrivacyRecord(epsilon: 2, delta: 1e-4, sigma: sigma))
    var sum = 0.0, sumSq = 0.0
    for i in coords.indices {
        let noise = Double(released.coordinates[i]) - tanh(Double(coords[i]))
        sum += noise; sumSq += noise * noise
    }
    let count = Double(coords.count)
    let mean = sum / count
    let std = (sumSq / count - mean * mean).squareRoot()
    // Standard error of the std estimate is sigma / sqrt(2n) ~ 0.16% of sigma: allow 1%.
    #expect(abs(std / sigma - 1) < 0.01, "std \(std) vs sigma \(sigma)")
    #expect(abs(mean) < 4 * sigma / count.squareRoot())
    // Same seed, same release; another seed, another release.
    var a = SplitMix64(seed: 1), b = SplitMix64(seed: 1), c = SplitMix64(seed: 2)
    #expect(boundary.release(raw, using: &a) == boundary.release(raw, using: &b))
    #expect(boundary.release(raw, using: &a) != boundary.release(raw, using: &c))
}

@Test func boundaryOffSendsCentroidsUnchanged() throws {
    var rng = SplitMix64(seed: 3)
    let raw = try RawCentroids(round: 2, clientID: 4, clusterIDs: [1, 3], dims: 2, coordinates: [5, -6, 7, 8])
    let c = PrivacyBoundary.off.release(raw, using: &rng)
    #expect(c.coordinates == raw.coordinates && c.privacy == nil && c.clusterIDs == [1, 3])
    #expect(Array(c.centroid(1)) == [7, 8])
}

/// Does `haystack` contain `needle` as contiguous bytes?
func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    for s in 0...(haystack.count - needle.count) where haystack[s] == needle[0] {
        if Array(haystack[s..<(s + needle.count)]) == needle { return true }
    }
    return false
}

/// Runs a client's centroid release over `kind` with the audit log keeping bytes, and returns the
/// logged wire bytes and what the server received.
func auditedCentroidRelease(_ kind: TransportKind, boundary: PrivacyBoundary, raw: RawCentroids) async throws -> (
    [WireAuditEntry], Centroids?
) {
    let audit = WireAuditLog(keepBytes: true)
    let h = try await EndpointHarness.make(kind, workers: 1, audit: audit)
    var rng = SplitMix64(seed: 11)
    try await h.workers[0].send(.register(Register(workerID: "w", clientIDs: [raw.clientID])))
    try await h.workers[0].send(.centroids(boundary.release(raw, using: &rng)))
    let got = await collectMessages(h.server, count: 2)
    await h.shutdown()
    var received: Centroids? = nil
    for (_, m) in got { if case let .centroids(c) = m { received = c } }
    return (audit.entries.filter { $0.type != .heartbeat }, received)
}

func rawForAudit() throws -> RawCentroids {
    // Distinctive values, far from anything tanh + noise is likely to produce exactly.
    try RawCentroids(
        round: 1, clientID: 6, clusterIDs: [0, 1, 2], dims: 2,
        coordinates: [12.345678, -9.876543, 3.1415927, 2.7182817, -0.33333334, 42.4242])
}

@Test(arguments: endpointKinds)
func wireNeverCarriesTheUnnoisedCentroid(kind: TransportKind) async throws {
    let raw = try rawForAudit()
    let rawBytes = FloatFrame.bytes(of: raw.coordinates)
    let (entries, received) = try await auditedCentroidRelease(
        kind, boundary: try PrivacyBoundary(epsilon: 1, delta: 1e-5), raw: raw)
    #expect(entries.map(\.type) == [.register, .centroids])
    #expect(entries.allSatisfy { $0.wire?.count == $0.bytes })
    for e in entries {
        let wire = e.wire ?? []
        #expect(!contains(wire, rawBytes))
        for i in raw.coordinates.indices {
            #expect(!contains(wire, Array(rawBytes[(4 * i)..<(4 * i + 4)])), "coordinate \(i) on the wire")
        }
    }
    let sigma = try GaussianMechanism(epsilon: 1, delta: 1e-5).sigma
    #expect(received?.privacy == PrivacyRecord(epsilon: 1, delta: 1e-5, sigma: sigma))
    #expect(received?.clusterIDs == raw.clusterIDs)
    // The check can fail: without noise the same audit finds the raw coordinates on the wire.
    let (plain, _) = try await auditedCentroidRelease(kind, boundary: .off, raw: raw)
    #expect(plain.contains { contains($0.wire ?? [], rawBytes) })
}

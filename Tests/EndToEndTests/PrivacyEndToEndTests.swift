import Foundation
import Testing
import Transport
@testable import Actors

/// DP on the centroids (ALGORITHM.md step 5, the Transport DP boundary) through the actors: the same
/// FedHDS run with and without the Gaussian mechanism, both with a wire audit log of everything
/// the worker host sent.
@Suite(.serialized) struct PrivacyEndToEndTests {
    static func config(epsilon: Double) throws -> RunConfig {
        var c = try RunConfig.load(path: Harness.smoke)
        c.rounds = 2
        c.maxSamplesPerClient = 60
        c.tsneIterations = 250
        c.evalBefore = false
        c.evalSamples = 2
        c.maxNewTokens = 4
        c.participation = 0.5
        c.dpEpsilon = epsilon
        c.dpDelta = 1e-5
        return c
    }

    static func run(_ c: RunConfig, _ dir: String) async throws -> (RunResult, [RoundMetrics], WireAuditLog) {
        let audit = WireAuditLog(keepBytes: true)
        var options = RunOptions(output: dir, showProgress: false)
        options.audit = audit
        let compute = try await ModelCompute.make(config: c, configPath: Harness.smoke)
        let r = try await Coordinator.runInProcess(config: c, compute: compute, options: options).finished
        return (r, try Harness.metrics(dir), audit)
    }

    static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, hay.count >= needle.count else { return false }
        for i in 0...(hay.count - needle.count)
        where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle {
            return true
        }
        return false
    }

    static func floatBytes(_ f: [Float]) -> [UInt8] { f.withUnsafeBytes { Array($0) } }

    @Test func noisedCentroidsGoOnTheWireMetricsRecordEpsilonDeltaAndTheResultChanges() async throws {
        let dir = Harness.tempDir("dp")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let epsilon = 10.0
        let plain = try Self.config(epsilon: 0)
        let noisy = try Self.config(epsilon: epsilon)
        let (ra, ma, auditA) = try await Self.run(plain, dir + "/plain")
        let (rb, mb, auditB) = try await Self.run(noisy, dir + "/dp")
        let sigma = 2 * (2 * log(1.25 / 1e-5)).squareRoot() / epsilon

        // The run completes and every round records the guarantee its centroids carried.
        #expect(rb.rounds == 2 && mb.count == 2)
        for m in mb {
            #expect(m.faults.isEmpty, "\(m.faults)")
            let p = try #require(m.privacy)
            #expect(p.epsilon == epsilon && p.delta == 1e-5)
            #expect(abs(p.sigma - sigma) < 1e-12)
            #expect(p.messages == m.participants.count - m.dropped.count && p.messages > 0)
            #expect(p.unnoised == 0)
        }
        #expect(rb.privacy?.epsilon == epsilon && rb.privacy?.delta == 1e-5)
        #expect(ma.allSatisfy { $0.privacy == nil } && ra.privacy == nil)

        // Round 1 starts from the same adapter in both runs, so each participant's own (raw)
        // centroids are the same; recompute them and the released message outside the run.
        #expect(ma[0].participants == mb[0].participants)
        let compute = try await ModelCompute.make(config: noisy, configPath: Harness.smoke)
        let start = try compute.initialAdapter()
        let sentA = auditA.entries.filter { $0.type == .centroids }.compactMap(\.wire)
        let sentB = auditB.entries.filter { $0.type == .centroids }.compactMap(\.wire)
        #expect(sentB.count == mb.reduce(0) { $0 + ($1.privacy?.messages ?? 0) })
        var residuals: [Double] = []
        for c in mb[0].participants {
            guard
                case let .centroids(raw) = try await ClientActor(id: c, compute: compute, config: plain)
                    .selectPhase(round: 1, adapter: start)
            else { Issue.record("client \(c): no centroids"); continue }
            guard
                case let .centroids(released) = try await ClientActor(id: c, compute: compute, config: noisy)
                    .selectPhase(round: 1, adapter: start)
            else { Issue.record("client \(c): no centroids"); continue }
            #expect(raw.privacy == nil)
            #expect(released.privacy == PrivacyRecord(epsilon: epsilon, delta: 1e-5, sigma: sigma))
            #expect(released.clusterIDs == raw.clusterIDs)
            // What the plain run sent is the raw message; what the DP run sent is the released one,
            // byte for byte, and the raw coordinates appear in none of the DP run's centroid messages.
            let wireRaw = Array(try MessageCodec.encode(.centroids(raw)).joined())
            let wireReleased = Array(try MessageCodec.encode(.centroids(released)).joined())
            #expect(sentA.contains(wireRaw), "client \(c): the plain run did not send its raw centroids")
            #expect(sentB.contains(wireReleased), "client \(c): the DP run did not send the released centroids")
            if !raw.coordinates.isEmpty {
                #expect(
                    !sentB.contains { Self.contains($0, Self.floatBytes(raw.coordinates)) },
                    "client \(c): un-noised centroids on the wire")
                #expect(released.coordinates != raw.coordinates)
            }
            for (x, y) in zip(raw.coordinates, released.coordinates) { residuals.append(Double(y) - Double(tanhf(x))) }
        }
        // released = tanh(raw) + N(0, sigma^2): the residuals look like that noise.
        #expect(residuals.count >= 20, "only \(residuals.count) centroid coordinates in round 1")
        let mean = residuals.reduce(0, +) / Double(residuals.count)
        let sd = (residuals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(residuals.count - 1)).squareRoot()
        print(
            "dp: epsilon \(epsilon), sigma \(sigma); \(residuals.count) released coordinates, residual mean \(mean), sd \(sd)"
        )
        #expect(abs(mean) < 4 * sigma / Double(residuals.count).squareRoot())
        #expect(sd > 0.7 * sigma && sd < 1.3 * sigma)

        // Same seed, noise on or off: the server's clustering sees other points, so the result differs.
        #expect(ra.adapterSHA != rb.adapterSHA)
        print(
            "dp: selected without noise \(ma.map(\.selected)), with noise \(mb.map(\.selected)); "
                + "coreset \(ma.map(\.coresetSizes)) vs \(mb.map(\.coresetSizes))")
    }
}

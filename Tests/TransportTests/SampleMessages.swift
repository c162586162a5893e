@testable import Transport

/// One message of every type, with non-trivial contents.
enum SampleMessages {
    static func all() throws -> [Message] {
        var rng = SplitMix64(seed: 7)
        let raw = try RawCentroids(
            round: 3, clientID: 17, clusterIDs: [0, 2, 5], dims: 2,
            coordinates: [0.5, -1.25, 3, 4, -0.001, 1e-20], featureTokens: 4321)
        return [
            .register(
                Register(workerID: "worker-3", clientIDs: [1, 5, 9], capabilities: ["fedhds", "gpu=0", "ünïcode"])),
            .roundStart(
                RoundStart(
                    round: 4, clientIDs: [5, 9], phase: .select,
                    globalAdapter: (0..<1000).map { Float($0) * 0.001 - 0.3 })),
            .roundStart(RoundStart(round: 5, clientIDs: [], phase: .train)),
            .centroids(PrivacyBoundary.off.release(raw, using: &rng)),
            .centroids(try PrivacyBoundary(epsilon: 1, delta: 1e-5).release(raw, using: &rng)),
            .selection(ClusterSelection(round: 4, chosen: [5: [0, 2], 9: [], 1: [7]])),
            .update(
                ClientUpdate(
                    round: 4, clientID: 9, adapter: [1, 2, 3, -4.5], trainSamples: 12, trainBatches: 12,
                    trainLoss: 1.75, localSamples: 75,
                    times: ClientTimes(
                        features: 0.25, fusion: 0.125, intraClustering: 0.5, selection: 1e-3,
                        training: 3.5),
                    featureTokens: 900, trainTokens: 12_345)),
            .update(ClientUpdate(round: 0, clientID: 2, adapter: [], trainSamples: 0, trainBatches: 0, trainLoss: nil)),
            .heartbeat(Heartbeat(sequence: 42)),
            .error(ErrorReport(code: -3, text: "worker ran out of memory")),
            .error(ErrorReport(code: 10, text: "ran out of memory", clientID: 9, round: 4)),
            .shutdown(Shutdown(reason: "run finished")),
            .features(
                Features(
                    round: 1, clientID: 2, sampleIDs: [10, 11, 12], dims: 2, values: [1, 2, 3, 4, 5, 6],
                    featureTokens: 77))
        ]
    }
}

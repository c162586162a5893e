import Testing
@testable import Transport

@Test func everyMessageTypeRoundTrips() throws {
    let messages = try SampleMessages.all()
    #expect(Set(messages.map(\.type)) == Set(MessageType.allCases))
    for m in messages {
        let frames = try MessageCodec.encode(m)
        #expect(frames.count == (m.type.hasFloatFrame ? 2 : 1))
        #expect(try MessageCodec.decode(frames) == m)
    }
}

@Test func envelopeLayoutIsPinned() throws {
    let frames = try MessageCodec.encode(.heartbeat(Heartbeat(sequence: 0x0102_0304_0506_0708)))
    #expect(
        frames == [
            [
                0x46, 0x48, 0x44, 0x53, 3, 0, 6, 1, 8, 0, 0, 0, 0, 0, 0, 0,
                8, 7, 6, 5, 4, 3, 2, 1
            ]
        ])
    // Float payloads are raw little-endian float32: 1.0 = 0x3f800000, -2.0 = 0xc0000000.
    let u = try MessageCodec.encode(
        .update(
            ClientUpdate(
                round: 0, clientID: 0, adapter: [1, -2], trainSamples: 0,
                trainBatches: 0, trainLoss: nil)))
    #expect(u[1] == [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0])
}

/// The bodies of version 2 (and 3), byte by byte: a typed phase, an error naming its client and
/// round, and an update's times as five doubles in a fixed order (no maps); since version 3 the
/// update's feature and training tokens before them.
@Test func versionThreeBodiesArePinned() throws {
    let e = try MessageCodec.encode(.error(ErrorReport(code: 10, text: "x", clientID: 9, round: 4)))
    #expect(
        e == [
            [
                0x46, 0x48, 0x44, 0x53, 3, 0, 7, 1, 27, 0, 0, 0, 0, 0, 0, 0,
                10, 0, 0, 0, 1, 0, 0, 0, 0x78, 1, 9, 0, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0, 0, 0, 0
            ]
        ])
    let plain = try MessageCodec.encode(.error(ErrorReport(code: 1, text: "")))
    #expect(plain[0].suffix(10) == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0])  // code, empty text, no client, no round
    let start = RoundStart(round: 3, clientIDs: [7], phase: .train, globalAdapter: [1])
    let s = try MessageCodec.encode(.roundStart(start))
    #expect(
        s == [
            [
                0x46, 0x48, 0x44, 0x53, 3, 0, 2, 2, 29, 0, 0, 0, 0, 0, 0, 0,
                3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0
            ],
            [0, 0, 0x80, 0x3f]
        ])
    var bad = s
    bad[0][16 + 20] = 3
    #expect(throws: TransportError.invalidValue(field: "roundStart.phase", reason: "3 is not a phase")) {
        try MessageCodec.decode(bad)
    }
    let times = ClientTimes(features: 1, fusion: 2, intraClustering: 0.5, selection: -2, training: 0.25)
    let u = try MessageCodec.encode(
        .update(
            ClientUpdate(
                round: 1, clientID: 2, adapter: [], trainSamples: 3,
                trainBatches: 3, trainLoss: nil, localSamples: 40,
                times: times, featureTokens: 5, trainTokens: 258)))
    // ..., no loss (0), localSamples 40, feature tokens 5, trained tokens 258, then the times in
    // order: 1.0, 2.0, 0.5, -2.0, 0.25, then the count 0.
    let doubles: [UInt64] = [
        0x3ff0_0000_0000_0000, 0x4000_0000_0000_0000, 0x3fe0_0000_0000_0000,
        0xc000_0000_0000_0000, 0x3fd0_0000_0000_0000
    ]
    var tail: [UInt8] = [0, 40, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0]
    for d in doubles { tail += (0..<8).map { UInt8(truncatingIfNeeded: d >> (8 * UInt64($0))) } }
    tail += [UInt8](repeating: 0, count: 8)
    #expect(Array(u[0].suffix(tail.count)) == tail)
    #expect(throws: TransportError.nonFinite(field: "update.times.training", index: 0)) {
        var t = times
        t.training = .infinity
        let update = ClientUpdate(
            round: 1, clientID: 2, adapter: [], trainSamples: 0, trainBatches: 0,
            trainLoss: nil, times: t)
        _ = try MessageCodec.encode(.update(update))
    }
}

/// Token counts travel with centroids, features and updates; negative ones are refused on both
/// sides; `encodedSize` is the bytes of all frames.
@Test func tokenCountsTravelAndSizesAreTheFrames() throws {
    for m in try SampleMessages.all() {
        #expect(try MessageCodec.encodedSize(m) == MessageCodec.encode(m).reduce(0) { $0 + $1.count })
    }
    let raw = try RawCentroids(round: 1, clientID: 3, clusterIDs: [4], dims: 1, coordinates: [2], featureTokens: 55)
    var rng = SplitMix64(seed: 1)
    let sent = PrivacyBoundary.off.release(raw, using: &rng)
    guard case let .centroids(c) = try MessageCodec.decode(MessageCodec.encode(.centroids(sent))) else {
        Issue.record("centroids did not decode as centroids")
        return
    }
    #expect(c.featureTokens == 55)
    #expect(throws: TransportError.invalidValue(field: "update.trainTokens", reason: "-1 is negative")) {
        try MessageCodec.encode(
            .update(
                ClientUpdate(
                    round: 0, clientID: 0, adapter: [], trainSamples: 0,
                    trainBatches: 0, trainLoss: nil, trainTokens: -1)))
    }
    var frames = try MessageCodec.encode(
        .features(
            Features(
                round: 0, clientID: 0, sampleIDs: [], dims: 0, values: [],
                featureTokens: 1)))
    // round, client, empty ids (count), dims, then the tokens: make them -1.
    let at = 16 + 8 + 8 + 4 + 4
    for i in 0..<8 { frames[0][at + i] = 0xff }
    #expect(throws: TransportError.invalidValue(field: "features.featureTokens", reason: "-1 is negative")) {
        try MessageCodec.decode(frames)
    }
}

@Test func encodingRejectsNonFinitePayloadsAndBadCounts() throws {
    #expect(throws: TransportError.nonFinite(field: "update.adapter", index: 1)) {
        try MessageCodec.encode(
            .update(
                ClientUpdate(
                    round: 0, clientID: 0, adapter: [0, .nan], trainSamples: 0,
                    trainBatches: 0, trainLoss: nil)))
    }
    #expect(throws: TransportError.lengthMismatch(field: "features.values", expected: 4, got: 3)) {
        try MessageCodec.encode(
            .features(Features(round: 0, clientID: 0, sampleIDs: [1, 2], dims: 2, values: [1, 2, 3])))
    }
    #expect(throws: TransportError.invalidValue(field: "features.dims", reason: "-1 is out of range")) {
        try MessageCodec.encode(.features(Features(round: 0, clientID: 0, sampleIDs: [], dims: -1, values: [])))
    }
    #expect(throws: TransportError.lengthMismatch(field: "centroids.coordinates", expected: 4, got: 3)) {
        try RawCentroids(round: 0, clientID: 0, clusterIDs: [1, 2], dims: 2, coordinates: [1, 2, 3])
    }
    #expect(throws: TransportError.nonFinite(field: "centroids.coordinates", index: 0)) {
        try RawCentroids(round: 0, clientID: 0, clusterIDs: [1], dims: 1, coordinates: [.infinity])
    }
}

@Test func decodingRejectsEachKindOfMalformedInput() throws {
    let good = try MessageCodec.encode(
        .update(
            ClientUpdate(
                round: 1, clientID: 2, adapter: [1, 2, 3], trainSamples: 3,
                trainBatches: 3, trainLoss: 0.5)))
    func mutated(_ f: (inout [[UInt8]]) -> Void) -> [[UInt8]] { var c = good; f(&c); return c }
    #expect(throws: TransportError.frameCount(expected: 1, got: 0)) { try MessageCodec.decode([]) }
    #expect(throws: TransportError.truncated(field: "header")) { try MessageCodec.decode([[0x46, 0x48]]) }
    #expect(throws: TransportError.badMagic) { try MessageCodec.decode(mutated { $0[0][0] = 0x47 }) }
    #expect(throws: TransportError.unsupportedVersion(1)) { try MessageCodec.decode(mutated { $0[0][4] = 1 }) }
    #expect(throws: TransportError.unknownMessageType(200)) { try MessageCodec.decode(mutated { $0[0][6] = 200 }) }
    #expect(throws: TransportError.frameCount(expected: 2, got: 1)) { try MessageCodec.decode([good[0]]) }
    #expect(throws: TransportError.frameCount(expected: 2, got: 3)) { try MessageCodec.decode(good + [[1]]) }
    #expect(
        throws: TransportError.lengthMismatch(
            field: "header.bodyLength", expected: good[0].count - 15, got: good[0].count - 16)
    ) {
        try MessageCodec.decode(mutated { $0[0].append(0) })
    }
    #expect(throws: TransportError.lengthMismatch(field: "update.adapter", expected: 12, got: 8)) {
        try MessageCodec.decode(mutated { $0[1].removeLast(4) })
    }
    #expect(throws: TransportError.nonFinite(field: "update.adapter", index: 2)) {
        try MessageCodec.decode(mutated { $0[1][8...11] = [0, 0, 0xc0, 0x7f] })  // NaN
    }
    // A count that claims more elements than bytes present is rejected before allocating.
    let reg = try MessageCodec.encode(.register(Register(workerID: "w", clientIDs: [1], capabilities: [])))
    var big = reg
    big[0][16 + 4 + 1] = 0xff; big[0][16 + 4 + 1 + 3] = 0x7f  // clientIDs count = 0x7f0000ff
    #expect(throws: TransportError.truncated(field: "register.clientIDs")) { try MessageCodec.decode(big) }
    var utf = reg
    utf[0][16 + 4] = 0xff  // the one byte of workerID
    #expect(throws: TransportError.invalidUTF8(field: "register.workerID")) { try MessageCodec.decode(utf) }
    let limits = CodecLimits(maxFloats: 2)
    #expect(throws: TransportError.tooLarge(field: "update.adapter", size: 12, limit: 8)) {
        try MessageCodec.decode(good, limits: limits)
    }
}

/// >= 100,000 random and mutated frame sets: the decoder never crashes and every failure is a
/// TransportError.
@Test func decoderFuzz() async throws {
    var rng = SplitMix64(seed: 2024)
    let seeds = try SampleMessages.all().map { try MessageCodec.encode($0) }
    var decoded = 0, rejected = 0
    for i in 0..<120_000 {
        if i % 2000 == 0 { await Task.yield() }  // share the cooperative pool with other tests
        let frames = FuzzFrames.make(&rng, from: seeds)
        do {
            _ = try MessageCodec.decode(frames)
            decoded += 1
        } catch is TransportError {
            rejected += 1
        }
    }
    #expect(decoded + rejected == 120_000)
    #expect(rejected > 90_000)
}

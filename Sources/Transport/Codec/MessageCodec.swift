/// The versioned binary envelope of the federation protocol.
///
/// Frame 0 (the envelope): magic "FHDS", version (u16), type (u8), frame count (u8), body length
/// (u32), reserved (u32, zero), then the type's fields little-endian (integers as i64, counts as
/// u32, strings as u32 length + UTF-8, maps key-sorted). Frame 1, for the types that carry a large
/// float payload (round start, centroids, update, features): raw little-endian float32 values,
/// whose count is a field of the envelope. Decoding checks all of it and throws `TransportError`.
public enum MessageCodec {
    public static let magic: [UInt8] = [0x46, 0x48, 0x44, 0x53]  // "FHDS"
    public static let version: UInt16 = 1
    static let headerBytes = 16

    /// Encodes a message into its frames. Throws when a float payload is not finite or a count is
    /// inconsistent, so that nothing is sent that the receiver would reject.
    public static func encode(_ message: Message) throws -> [[UInt8]] {
        try encodeFrames(message).map(\.bytes)
    }

    /// `encode`, with the float payload kept as floats (sent without copying).
    static func encodeFrames(_ message: Message) throws -> [WireFrame] {
        var w = ByteWriter(capacity: 96)
        var payload: [Float]? = nil
        switch message {
        case let .register(m):
            w.string(m.workerID); w.ints(m.clientIDs); w.strings(m.capabilities)
        case let .roundStart(m):
            w.int(m.round); w.ints(m.clientIDs); w.string(m.method); w.string(m.phase); w.u64(m.seed)
            w.u64(UInt64(m.globalAdapter.count)); payload = m.globalAdapter
            try checkFinite(m.globalAdapter, "roundStart.globalAdapter")
        case let .centroids(m):
            w.int(m.round); w.int(m.clientID); w.ints(m.clusterIDs); w.u32(UInt32(truncatingIfNeeded: m.dims))
            if let p = m.privacy { w.u8(1); w.f64(p.epsilon); w.f64(p.delta); w.f64(p.sigma) } else { w.u8(0) }
            w.u64(UInt64(m.coordinates.count)); payload = m.coordinates
            guard m.coordinates.count == m.clusterIDs.count * m.dims else {
                throw TransportError.lengthMismatch(field: "centroids.coordinates",
                                                    expected: m.clusterIDs.count * m.dims, got: m.coordinates.count)
            }
            try checkFinite(m.coordinates, "centroids.coordinates")
        case let .selection(m):
            w.int(m.round); w.count(m.chosen.count)
            for c in m.chosen.keys.sorted() { w.int(c); w.ints(m.chosen[c]!) }
        case let .update(m):
            w.int(m.round); w.int(m.clientID); w.int(m.trainSamples); w.int(m.trainBatches)
            if let l = m.trainLoss { w.u8(1); w.f64(l) } else { w.u8(0) }
            w.doubleMap(m.timings); w.intMap(m.dataCounts)
            w.u64(UInt64(m.adapter.count)); payload = m.adapter
            if let l = m.trainLoss, !l.isFinite { throw TransportError.nonFinite(field: "update.trainLoss", index: 0) }
            for (k, v) in m.timings where !v.isFinite { throw TransportError.nonFinite(field: "update.timings." + k, index: 0) }
            try checkFinite(m.adapter, "update.adapter")
        case let .heartbeat(m):
            w.u64(m.sequence)
        case let .error(m):
            w.i32(m.code); w.string(m.text)
        case let .shutdown(m):
            w.string(m.reason)
        case let .features(m):
            guard m.dims >= 0, m.dims <= Int(UInt32.max) else {
                throw TransportError.invalidValue(field: "features.dims", reason: "\(m.dims) is out of range")
            }
            w.int(m.round); w.int(m.clientID); w.ints(m.sampleIDs); w.u32(UInt32(m.dims))
            w.u64(UInt64(m.values.count)); payload = m.values
            guard m.values.count == m.sampleIDs.count * m.dims else {
                throw TransportError.lengthMismatch(field: "features.values",
                                                    expected: m.sampleIDs.count * m.dims, got: m.values.count)
            }
            try checkFinite(m.values, "features.values")
        case let .evaluationRequest(m):
            w.int(m.round); w.ints(m.clientIDs); w.string(m.task)
        case let .evaluationResult(m):
            w.int(m.round); w.int(m.clientID); w.doubleMap(m.metrics)
            for (k, v) in m.metrics where !v.isFinite { throw TransportError.nonFinite(field: "evaluationResult.metrics." + k, index: 0) }
        }
        var head = ByteWriter(capacity: headerBytes + w.bytes.count)
        head.bytes.append(contentsOf: magic)
        head.u16(version)
        head.u8(message.type.rawValue)
        head.u8(payload == nil ? 1 : 2)
        head.u32(UInt32(w.bytes.count))
        head.u32(0)
        head.bytes.append(contentsOf: w.bytes)
        #if _endian(little)
        if let p = payload { return [.bytes(head.bytes), .floats(p)] }
        #else
        if let p = payload { return [.bytes(head.bytes), .bytes(FloatFrame.bytes(of: p))] }
        #endif
        return [.bytes(head.bytes)]
    }

    /// Decodes the frames of one message, checking magic, version, type, frame count, every length
    /// and count, UTF-8 and finiteness. Internal: only endpoints decode, so a client cannot mint a
    /// `Centroids` value from bytes of its own.
    static func decode(_ frames: [[UInt8]], limits: CodecLimits = .standard) throws -> Message {
        try decodeFrames(frames.map { .bytes($0) }, limits: limits)
    }

    /// `decode` of frames as received (float payloads may already be float storage).
    static func decodeFrames(_ frames: [WireFrame], limits: CodecLimits = .standard) throws -> Message {
        guard let first = frames.first else { throw TransportError.frameCount(expected: 1, got: 0) }
        let env = first.bytes
        guard env.count >= headerBytes else { throw TransportError.truncated(field: "header") }
        guard env.count <= limits.maxEnvelopeBytes else {
            throw TransportError.tooLarge(field: "envelope", size: env.count, limit: limits.maxEnvelopeBytes)
        }
        guard env[0] == magic[0], env[1] == magic[1], env[2] == magic[2], env[3] == magic[3] else {
            throw TransportError.badMagic
        }
        var r = ByteReader(env, offset: 4, maxStringBytes: limits.maxStringBytes)
        let v = try r.u16("header.version")
        guard v == version else { throw TransportError.unsupportedVersion(v) }
        let rawType = try r.u8("header.type")
        guard let type = MessageType(rawValue: rawType) else { throw TransportError.unknownMessageType(rawType) }
        let frameCount = Int(try r.u8("header.frameCount"))
        let bodyLength = Int(try r.u32("header.bodyLength"))
        let reserved = try r.u32("header.reserved")
        guard reserved == 0 else { throw TransportError.invalidValue(field: "header.reserved", reason: "must be 0") }
        guard bodyLength == env.count - headerBytes else {
            throw TransportError.lengthMismatch(field: "header.bodyLength", expected: env.count - headerBytes, got: bodyLength)
        }
        let expectedFrames = type.hasFloatFrame ? 2 : 1
        guard frameCount == expectedFrames else {
            throw TransportError.frameCount(expected: expectedFrames, got: frameCount)
        }
        guard frames.count == expectedFrames else {
            throw TransportError.frameCount(expected: expectedFrames, got: frames.count)
        }
        func floats(_ field: String) throws -> [Float] {
            let n64 = try r.u64(field + ".count")
            guard n64 <= UInt64(limits.maxFloats) else {
                throw TransportError.tooLarge(field: field, size: Int(clamping: n64) &* 4, limit: limits.maxFloats * 4)
            }
            return try FloatFrame.floats(from: frames[1], count: Int(n64), field: field)
        }
        let message: Message
        switch type {
        case .register:
            message = .register(Register(workerID: try r.string("register.workerID"),
                                         clientIDs: try r.ints("register.clientIDs"),
                                         capabilities: try r.strings("register.capabilities")))
        case .roundStart:
            let round = try r.nonNegative("roundStart.round")
            let ids = try r.ints("roundStart.clientIDs")
            let method = try r.string("roundStart.method")
            let phase = try r.string("roundStart.phase")
            let seed = try r.u64("roundStart.seed")
            let adapter = try floats("roundStart.globalAdapter")
            message = .roundStart(RoundStart(round: round, clientIDs: ids, method: method, phase: phase,
                                             seed: seed, globalAdapter: adapter))
        case .centroids:
            let round = try r.nonNegative("centroids.round")
            let client = try r.int("centroids.clientID")
            let ids = try r.ints("centroids.clusterIDs")
            let dims = Int(try r.u32("centroids.dims"))
            var privacy: PrivacyRecord? = nil
            switch try r.u8("centroids.hasPrivacy") {
            case 0: break
            case 1:
                let eps = try r.finiteDouble("centroids.epsilon")
                let delta = try r.finiteDouble("centroids.delta")
                let sigma = try r.finiteDouble("centroids.sigma")
                guard eps > 0, delta > 0, delta < 1, sigma >= 0 else {
                    throw TransportError.invalidValue(field: "centroids.privacy", reason: "epsilon \(eps), delta \(delta), sigma \(sigma)")
                }
                privacy = PrivacyRecord(epsilon: eps, delta: delta, sigma: sigma)
            case let b:
                throw TransportError.invalidValue(field: "centroids.hasPrivacy", reason: "flag \(b) is not 0 or 1")
            }
            if !ids.isEmpty && dims < 1 {
                throw TransportError.invalidValue(field: "centroids.dims", reason: "must be at least 1 when clusters are present")
            }
            let coords = try floats("centroids.coordinates")
            guard coords.count == ids.count * dims else {
                throw TransportError.lengthMismatch(field: "centroids.coordinates", expected: ids.count * dims, got: coords.count)
            }
            message = .centroids(Centroids(round: round, clientID: client, clusterIDs: ids, dims: dims,
                                           coordinates: coords, privacy: privacy))
        case .selection:
            let round = try r.nonNegative("selection.round")
            let n = try r.count("selection.count", minElementBytes: 12)
            var chosen = [Int: [Int]](minimumCapacity: n)
            for _ in 0..<n {
                let c = try r.int("selection.clientID")
                let ids = try r.ints("selection.clusterIDs")
                guard chosen.updateValue(ids, forKey: c) == nil else {
                    throw TransportError.invalidValue(field: "selection.clientID", reason: "duplicate client \(c)")
                }
            }
            message = .selection(ClusterSelection(round: round, chosen: chosen))
        case .update:
            let round = try r.nonNegative("update.round")
            let client = try r.int("update.clientID")
            let samples = try r.nonNegative("update.trainSamples")
            let batches = try r.nonNegative("update.trainBatches")
            var loss: Double? = nil
            switch try r.u8("update.hasLoss") {
            case 0: break
            case 1: loss = try r.finiteDouble("update.trainLoss")
            case let b: throw TransportError.invalidValue(field: "update.hasLoss", reason: "flag \(b) is not 0 or 1")
            }
            let timings = try r.doubleMap("update.timings")
            let counts = try r.intMap("update.dataCounts")
            let adapter = try floats("update.adapter")
            message = .update(ClientUpdate(round: round, clientID: client, adapter: adapter, trainSamples: samples,
                                           trainBatches: batches, trainLoss: loss, timings: timings, dataCounts: counts))
        case .heartbeat:
            message = .heartbeat(Heartbeat(sequence: try r.u64("heartbeat.sequence")))
        case .error:
            message = .error(ErrorReport(code: try r.i32("error.code"), text: try r.string("error.text")))
        case .shutdown:
            message = .shutdown(Shutdown(reason: try r.string("shutdown.reason")))
        case .features:
            let round = try r.nonNegative("features.round")
            let client = try r.int("features.clientID")
            let ids = try r.ints("features.sampleIDs")
            let dims = Int(try r.u32("features.dims"))
            if !ids.isEmpty && dims < 1 {
                throw TransportError.invalidValue(field: "features.dims", reason: "must be at least 1 when samples are present")
            }
            let values = try floats("features.values")
            guard values.count == ids.count * dims else {
                throw TransportError.lengthMismatch(field: "features.values", expected: ids.count * dims, got: values.count)
            }
            message = .features(Features(round: round, clientID: client, sampleIDs: ids, dims: dims, values: values))
        case .evaluationRequest:
            message = .evaluationRequest(EvaluationRequest(round: try r.nonNegative("evaluationRequest.round"),
                                                           clientIDs: try r.ints("evaluationRequest.clientIDs"),
                                                           task: try r.string("evaluationRequest.task")))
        case .evaluationResult:
            message = .evaluationResult(EvaluationResult(round: try r.nonNegative("evaluationResult.round"),
                                                         clientID: try r.int("evaluationResult.clientID"),
                                                         metrics: try r.doubleMap("evaluationResult.metrics")))
        }
        guard r.remaining == 0 else { throw TransportError.trailingBytes(r.remaining) }
        return message
    }

    /// The type byte of an envelope frame, when it has a valid header (for counting rejects).
    private static func checkFinite(_ values: [Float], _ field: String) throws {
        if let bad = FloatFrame.firstNonFinite(values) { throw TransportError.nonFinite(field: field, index: bad) }
    }
}

extension MessageType {
    /// Whether messages of this type carry a raw float32 frame after the envelope.
    var hasFloatFrame: Bool {
        switch self {
        case .roundStart, .centroids, .update, .features: return true
        default: return false
        }
    }
}

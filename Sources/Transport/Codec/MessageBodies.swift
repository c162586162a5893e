/// The fields of one message type after the envelope header. Each type writes and reads its
/// fields in one place, in the same order, so the two cannot drift apart. Integers are i64, counts
/// u32, strings u32 length + UTF-8, optionals a 0/1 flag then the value; a float payload is its
/// count here and its values in frame 1 (`ByteWriter.floats`, `ByteReader.floats`).
protocol WireBody {
    /// Writes the fields. Throws when a value is not finite or a count is inconsistent, so that
    /// nothing is sent that the receiver would reject.
    func encode(into w: inout ByteWriter) throws
    /// Reads the fields, checking every length, count, flag and value.
    init(from r: inout ByteReader) throws
}

extension Register: WireBody {
    func encode(into w: inout ByteWriter) {
        w.string(workerID); w.ints(clientIDs); w.strings(capabilities)
    }

    init(from r: inout ByteReader) throws {
        self.init(
            workerID: try r.string("register.workerID"), clientIDs: try r.ints("register.clientIDs"),
            capabilities: try r.strings("register.capabilities"))
    }
}

extension RoundStart: WireBody {
    func encode(into w: inout ByteWriter) throws {
        w.int(round); w.ints(clientIDs); w.u8(phase.rawValue)
        try w.floats(globalAdapter, "roundStart.globalAdapter")
    }

    init(from r: inout ByteReader) throws {
        let round = try r.nonNegative("roundStart.round")
        let ids = try r.ints("roundStart.clientIDs")
        let raw = try r.u8("roundStart.phase")
        guard let phase = RoundPhase(rawValue: raw) else {
            throw TransportError.invalidValue(field: "roundStart.phase", reason: "\(raw) is not a phase")
        }
        self.init(round: round, clientIDs: ids, phase: phase, globalAdapter: try r.floats("roundStart.globalAdapter"))
    }
}

extension Centroids: WireBody {
    func encode(into w: inout ByteWriter) throws {
        w.int(round); w.int(clientID); w.ints(clusterIDs); w.u32(UInt32(truncatingIfNeeded: dims))
        try w.nonNegative(featureTokens, "centroids.featureTokens")
        if let p = privacy { w.u8(1); w.f64(p.epsilon); w.f64(p.delta); w.f64(p.sigma) } else { w.u8(0) }
        guard coordinates.count == clusterIDs.count * dims else {
            throw TransportError.lengthMismatch(
                field: "centroids.coordinates",
                expected: clusterIDs.count * dims, got: coordinates.count)
        }
        try w.floats(coordinates, "centroids.coordinates")
    }

    init(from r: inout ByteReader) throws {
        let round = try r.nonNegative("centroids.round")
        let client = try r.int("centroids.clientID")
        let ids = try r.ints("centroids.clusterIDs")
        let dims = Int(try r.u32("centroids.dims"))
        let tokens = try r.nonNegative("centroids.featureTokens")
        var privacy: PrivacyRecord? = nil
        switch try r.u8("centroids.hasPrivacy") {
        case 0: break
        case 1:
            let eps = try r.finiteDouble("centroids.epsilon")
            let delta = try r.finiteDouble("centroids.delta")
            let sigma = try r.finiteDouble("centroids.sigma")
            guard eps > 0, delta > 0, delta < 1, sigma >= 0 else {
                throw TransportError.invalidValue(
                    field: "centroids.privacy",
                    reason: "epsilon \(eps), delta \(delta), sigma \(sigma)")
            }
            privacy = PrivacyRecord(epsilon: eps, delta: delta, sigma: sigma)
        case let b:
            throw TransportError.invalidValue(field: "centroids.hasPrivacy", reason: "flag \(b) is not 0 or 1")
        }
        if !ids.isEmpty && dims < 1 {
            throw TransportError.invalidValue(
                field: "centroids.dims",
                reason: "must be at least 1 when clusters are present")
        }
        let coords = try r.floats("centroids.coordinates")
        guard coords.count == ids.count * dims else {
            throw TransportError.lengthMismatch(
                field: "centroids.coordinates", expected: ids.count * dims,
                got: coords.count)
        }
        self.init(
            round: round, clientID: client, clusterIDs: ids, dims: dims, coordinates: coords, privacy: privacy,
            featureTokens: tokens)
    }
}

extension ClusterSelection: WireBody {
    func encode(into w: inout ByteWriter) {
        w.int(round); w.count(chosen.count)
        for c in chosen.keys.sorted() { w.int(c); w.ints(chosen[c]!) }
    }

    init(from r: inout ByteReader) throws {
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
        self.init(round: round, chosen: chosen)
    }
}

extension ClientTimes: WireBody {
    func encode(into w: inout ByteWriter) throws {
        try w.finiteDouble(features, "update.times.features")
        try w.finiteDouble(fusion, "update.times.fusion")
        try w.finiteDouble(intraClustering, "update.times.intraClustering")
        try w.finiteDouble(selection, "update.times.selection")
        try w.finiteDouble(training, "update.times.training")
    }

    init(from r: inout ByteReader) throws {
        self.init(
            features: try r.finiteDouble("update.times.features"),
            fusion: try r.finiteDouble("update.times.fusion"),
            intraClustering: try r.finiteDouble("update.times.intraClustering"),
            selection: try r.finiteDouble("update.times.selection"),
            training: try r.finiteDouble("update.times.training"))
    }
}

extension ClientUpdate: WireBody {
    func encode(into w: inout ByteWriter) throws {
        w.int(round); w.int(clientID); w.int(trainSamples); w.int(trainBatches)
        try w.optionalDouble(trainLoss, "update.trainLoss")
        w.int(localSamples)
        try w.nonNegative(featureTokens, "update.featureTokens"); try w.nonNegative(trainTokens, "update.trainTokens")
        try times.encode(into: &w)
        try w.floats(adapter, "update.adapter")
    }

    init(from r: inout ByteReader) throws {
        let round = try r.nonNegative("update.round")
        let client = try r.int("update.clientID")
        let samples = try r.nonNegative("update.trainSamples")
        let batches = try r.nonNegative("update.trainBatches")
        let loss = try r.optionalDouble("update.trainLoss")
        let local = try r.nonNegative("update.localSamples")
        let forward = try r.nonNegative("update.featureTokens")
        let trained = try r.nonNegative("update.trainTokens")
        let times = try ClientTimes(from: &r)
        self.init(
            round: round, clientID: client, adapter: try r.floats("update.adapter"), trainSamples: samples,
            trainBatches: batches, trainLoss: loss, localSamples: local, times: times, featureTokens: forward,
            trainTokens: trained)
    }
}

extension Heartbeat: WireBody {
    func encode(into w: inout ByteWriter) { w.u64(sequence) }

    init(from r: inout ByteReader) throws { self.init(sequence: try r.u64("heartbeat.sequence")) }
}

extension ErrorReport: WireBody {
    func encode(into w: inout ByteWriter) {
        w.i32(code); w.string(text); w.optionalInt(clientID); w.optionalInt(round)
    }

    init(from r: inout ByteReader) throws {
        self.init(
            code: try r.i32("error.code"), text: try r.string("error.text"),
            clientID: try r.optionalInt("error.clientID"), round: try r.optionalInt("error.round"))
    }
}

extension Shutdown: WireBody {
    func encode(into w: inout ByteWriter) { w.string(reason) }

    init(from r: inout ByteReader) throws { self.init(reason: try r.string("shutdown.reason")) }
}

extension Features: WireBody {
    func encode(into w: inout ByteWriter) throws {
        guard dims >= 0, dims <= Int(UInt32.max) else {
            throw TransportError.invalidValue(field: "features.dims", reason: "\(dims) is out of range")
        }
        w.int(round); w.int(clientID); w.ints(sampleIDs); w.u32(UInt32(dims))
        try w.nonNegative(featureTokens, "features.featureTokens")
        guard values.count == sampleIDs.count * dims else {
            throw TransportError.lengthMismatch(
                field: "features.values", expected: sampleIDs.count * dims,
                got: values.count)
        }
        try w.floats(values, "features.values")
    }

    init(from r: inout ByteReader) throws {
        let round = try r.nonNegative("features.round")
        let client = try r.int("features.clientID")
        let ids = try r.ints("features.sampleIDs")
        let dims = Int(try r.u32("features.dims"))
        let tokens = try r.nonNegative("features.featureTokens")
        if !ids.isEmpty && dims < 1 {
            throw TransportError.invalidValue(
                field: "features.dims",
                reason: "must be at least 1 when samples are present")
        }
        let values = try r.floats("features.values")
        guard values.count == ids.count * dims else {
            throw TransportError.lengthMismatch(field: "features.values", expected: ids.count * dims, got: values.count)
        }
        self.init(round: round, clientID: client, sampleIDs: ids, dims: dims, values: values, featureTokens: tokens)
    }
}

extension Message {
    /// The body of this message.
    var body: any WireBody {
        switch self {
        case let .register(m): return m
        case let .roundStart(m): return m
        case let .centroids(m): return m
        case let .selection(m): return m
        case let .update(m): return m
        case let .heartbeat(m): return m
        case let .error(m): return m
        case let .shutdown(m): return m
        case let .features(m): return m
        }
    }

    /// Reads the body of a message of `type`.
    init(_ type: MessageType, from r: inout ByteReader) throws {
        switch type {
        case .register: self = .register(try Register(from: &r))
        case .roundStart: self = .roundStart(try RoundStart(from: &r))
        case .centroids: self = .centroids(try Centroids(from: &r))
        case .selection: self = .selection(try ClusterSelection(from: &r))
        case .update: self = .update(try ClientUpdate(from: &r))
        case .heartbeat: self = .heartbeat(try Heartbeat(from: &r))
        case .error: self = .error(try ErrorReport(from: &r))
        case .shutdown: self = .shutdown(try Shutdown(from: &r))
        case .features: self = .features(try Features(from: &r))
        }
    }
}

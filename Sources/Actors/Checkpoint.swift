import Foundation

/// The state after a completed round, enough to continue a killed run with exactly the same
/// result: the global adapter, the round, the sampler (with its up-front schedule), the metrics
/// so far and the evaluations. Random streams need no saved state: they are keyed by
/// (seed, round, client, purpose), so round r + 1 draws the same numbers after a resume.
public struct Checkpoint: Sendable, Codable, Equatable {
    public static let version = 1
    public var version = Checkpoint.version
    public var config: RunConfig
    /// Rounds completed.
    public var round: Int
    public var sampler: ParticipantSampler
    public var metrics: [RoundMetrics]
    /// Rouge-L by round ("0" = before tuning).
    public var evaluations: [String: Double]
    public var elapsedSeconds: Double
    /// Coreset-Cent: the centrally chosen sample indices of each client (computed once before
    /// round 1; a resume reuses them). Nil for other methods.
    public var coresetCent: [Int: [Int]]?
    /// Not in the JSON part: stored as raw float32 after it.
    public var adapter: [Float] = []
    /// False when the file read had no integrity digest (written before digests existed): it was
    /// accepted unverified (the run's log says so).
    public internal(set) var verified = true

    enum CodingKeys: String, CodingKey {
        case version, config, round, sampler, metrics, evaluations, elapsedSeconds, coresetCent
    }

    public init(
        config: RunConfig, round: Int, sampler: ParticipantSampler, metrics: [RoundMetrics],
        evaluations: [String: Double], elapsedSeconds: Double, adapter: [Float], coresetCent: [Int: [Int]]? = nil
    ) {
        self.config = config
        self.round = round
        self.sampler = sampler
        self.metrics = metrics
        self.evaluations = evaluations
        self.elapsedSeconds = elapsedSeconds
        self.adapter = adapter
        self.coresetCent = coresetCent
    }

    static let magic = Array("FHDSCKPT".utf8)

    /// Tag of the integrity trailer: the tag, then SHA-256 of every byte before the tag.
    static let digestTag = Array("SHA256\0\0".utf8)

    /// Layout: magic, UInt64 JSON length, JSON, UInt64 float count, float32 little-endian, then
    /// the trailer `digestTag` + SHA-256 (32 bytes) of everything before it.
    public func encoded() throws -> Data {
        let json = try RunOutput.jsonEncoder().encode(self)  // a non-finite metric must not stop the run
        var out = Data(Checkpoint.magic)
        func put(_ x: UInt64) { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } }
        put(UInt64(json.count))
        out.append(json)
        put(UInt64(adapter.count))
        adapter.withUnsafeBufferPointer { p in
            for f in p { withUnsafeBytes(of: f.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        }
        var digest = SHA256()
        digest.update(out)
        out.append(contentsOf: Checkpoint.digestTag)
        out.append(contentsOf: digest.finish())
        return out
    }

    /// Reads `encoded()`'s layout. A file with the digest trailer must match it (else "damaged");
    /// a file without one (written before digests existed) is read with `verified` false.
    public static func decode(_ data: Data) throws -> Checkpoint {
        var bytes = [UInt8](data)
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else {
            throw ActorsError.storage("not a fedhds checkpoint")
        }
        let trailer = digestTag.count + 32
        var verified = false
        if bytes.count >= 16 + trailer, Array(bytes[(bytes.count - trailer)..<(bytes.count - 32)]) == digestTag {
            var digest = SHA256()
            digest.update(bytes[0..<(bytes.count - trailer)])
            guard digest.finish() == Array(bytes[(bytes.count - 32)...]) else {
                throw ActorsError.storage("checkpoint is damaged: its SHA-256 digest does not match its contents")
            }
            bytes.removeLast(trailer)
            verified = true
        }
        func u64(_ at: Int) throws -> UInt64 {
            guard at + 8 <= bytes.count else { throw ActorsError.storage("checkpoint truncated") }
            var x: UInt64 = 0
            for i in 0..<8 { x |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            return x
        }
        // Lengths are checked against the bytes present before use: a damaged header may hold any number.
        guard let jsonCount = Int(exactly: try u64(8)), jsonCount <= bytes.count - 16 else {
            throw ActorsError.storage("checkpoint truncated")
        }
        var cp: Checkpoint
        do {
            let json = try withConfigDefaults(Data(bytes[16..<(16 + jsonCount)]))
            cp = try RunOutput.jsonDecoder().decode(Checkpoint.self, from: json)
        } catch {
            throw ActorsError.storage("checkpoint metadata unreadable: \(error)")
        }
        guard cp.version == version else {
            throw ActorsError.storage("checkpoint version \(cp.version), expected \(version)")
        }
        let start = 24 + jsonCount
        guard let n = Int(exactly: try u64(16 + jsonCount)), n <= (bytes.count - start) / 4 else {
            throw ActorsError.storage("checkpoint adapter truncated")
        }
        guard start + 4 * n == bytes.count else { throw ActorsError.storage("checkpoint adapter truncated") }
        cp.verified = verified
        var params = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let o = start + 4 * i
            let bits =
                UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
            params[i] = Float(bitPattern: bits)
        }
        cp.adapter = params
        return cp
    }

    /// The checkpoint's JSON with every run setting it lacks set to its default. A checkpoint written
    /// before a setting existed (e.g. `precision`) then resumes as it ran: with the default, as a TOML
    /// file without the key does. JSON that already has every key, or is not a checkpoint object, is
    /// returned untouched (so decoding reports what is wrong with it). The old boolean
    /// `referenceDefect` becomes `selectionMode` "reference-pairing" (true) or "paper".
    static func withConfigDefaults(_ json: Data) throws -> Data {
        guard var object = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
            var stored = object["config"] as? [String: Any],
            let defaults = try JSONSerialization.jsonObject(with: RunOutput.jsonEncoder().encode(RunConfig()))
                as? [String: Any]
        else { return json }
        var renamed = false
        if stored["selectionMode"] == nil, let old = stored["referenceDefect"] as? Bool {
            stored["selectionMode"] = (old ? SelectionMode.referencePairing : .paper).rawValue
            renamed = true
        }
        if stored["modelKind"] == nil, (stored["modelPath"] as? String)?.isEmpty == true {
            stored["modelKind"] = RunConfig.ModelKind.tiny.rawValue  // before model.kind, no path meant the tiny model
            renamed = true
        }
        let missing = defaults.filter { stored[$0.key] == nil }
        guard !missing.isEmpty || renamed else { return json }
        object["config"] = stored.merging(missing) { old, _ in old }
        return try JSONSerialization.data(withJSONObject: object)
    }

    /// Writes atomically: a temporary file in the same folder, then a rename over the old one.
    public func write(to url: URL) throws {
        try AtomicFile.write(try encoded(), to: url)
    }

    public static func read(from url: URL) throws -> Checkpoint {
        guard let data = try? Data(contentsOf: url) else {
            throw ActorsError.storage("cannot read checkpoint \(url.path)")
        }
        return try decode(data)
    }
}

/// Temp file + rename, so a reader (or a resume after a kill) sees the old or the new file whole.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try data.write(to: tmp)
            let fd = open(tmp.path, O_RDONLY)
            if fd >= 0 { fsync(fd); close(fd) }
            if rename(tmp.path, url.path) != 0 {
                throw ActorsError.storage("rename to \(url.path) failed (errno \(errno))")
            }
        } catch let e as ActorsError {
            throw e
        } catch {
            throw ActorsError.storage("cannot write \(url.path): \(error)")
        }
    }
}

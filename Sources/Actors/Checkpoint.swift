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

    enum CodingKeys: String, CodingKey {
        case version, config, round, sampler, metrics, evaluations, elapsedSeconds, coresetCent
    }

    public init(config: RunConfig, round: Int, sampler: ParticipantSampler, metrics: [RoundMetrics],
                evaluations: [String: Double], elapsedSeconds: Double, adapter: [Float], coresetCent: [Int: [Int]]? = nil) {
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

    /// Layout: magic, UInt64 JSON length, JSON, UInt64 float count, float32 little-endian.
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
        return out
    }

    public static func decode(_ data: Data) throws -> Checkpoint {
        let bytes = [UInt8](data)
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else { throw ActorsError.storage("not a fedhds checkpoint") }
        func u64(_ at: Int) throws -> UInt64 {
            guard at + 8 <= bytes.count else { throw ActorsError.storage("checkpoint truncated") }
            var x: UInt64 = 0
            for i in 0..<8 { x |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            return x
        }
        let jsonCount = Int(try u64(8))
        guard 16 + jsonCount <= bytes.count else { throw ActorsError.storage("checkpoint truncated") }
        var cp: Checkpoint
        do {
            let json = try withConfigDefaults(Data(bytes[16..<(16 + jsonCount)]))
            cp = try RunOutput.jsonDecoder().decode(Checkpoint.self, from: json)
        } catch {
            throw ActorsError.storage("checkpoint metadata unreadable: \(error)")
        }
        guard cp.version == version else { throw ActorsError.storage("checkpoint version \(cp.version), expected \(version)") }
        let n = Int(try u64(16 + jsonCount))
        let start = 24 + jsonCount
        guard start + 4 * n == bytes.count else { throw ActorsError.storage("checkpoint adapter truncated") }
        var params = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let o = start + 4 * i
            let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
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
                as? [String: Any] else { return json }
        var renamed = false
        if stored["selectionMode"] == nil, let old = stored["referenceDefect"] as? Bool {
            stored["selectionMode"] = (old ? SelectionMode.referencePairing : .paper).rawValue
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
        guard let data = try? Data(contentsOf: url) else { throw ActorsError.storage("cannot read checkpoint \(url.path)") }
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
            if rename(tmp.path, url.path) != 0 { throw ActorsError.storage("rename to \(url.path) failed (errno \(errno))") }
        } catch let e as ActorsError {
            throw e
        } catch {
            throw ActorsError.storage("cannot write \(url.path): \(error)")
        }
    }
}

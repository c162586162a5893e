import Foundation
import Model

/// The files of one run's output folder: config.toml (the effective configuration),
/// metrics.jsonl (one line a round, rewritten as rounds finish) and metrics.csv (the same in long
/// form, one row per round and participant), result.json,
/// checkpoint.bin, adapter/ (PEFT) and report.html.
public struct RunOutput: Sendable {
    public let folder: URL

    public init(folder: String) throws {
        self.folder = URL(fileURLWithPath: folder, isDirectory: true)
        do { try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true) } catch {
            throw ActorsError.storage("cannot create output folder \(folder): \(error)")
        }
    }

    public var configURL: URL { folder.appendingPathComponent("config.toml") }
    public var metricsURL: URL { folder.appendingPathComponent("metrics.jsonl") }
    public var metricsTableURL: URL { folder.appendingPathComponent("metrics.csv") }
    public var resultURL: URL { folder.appendingPathComponent("result.json") }
    public var checkpointURL: URL { folder.appendingPathComponent("checkpoint.bin") }
    public var adapterFolder: URL { folder.appendingPathComponent("adapter", isDirectory: true) }
    public var reportURL: URL { folder.appendingPathComponent("report.html") }
    public var logURL: URL { folder.appendingPathComponent("run.log") }

    static func jsonEncoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    /// Reads what `jsonEncoder()` writes (non-finite numbers as "nan", "inf", "-inf").
    static func jsonDecoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// config.toml: what ran, not only what was asked. With `ran`, `precision` is the precision that
    /// actually ran (bf16 asked for on a CPU without a bfloat16 unit is recorded as fp32), and comment
    /// lines at the head say what was requested, the kernel path, model digest, version and commit.
    public func writeConfig(_ c: RunConfig, ran: Provenance? = nil) throws {
        var effective = c
        if let p = ran?.precision, let ranPrecision = Precision(rawValue: p) { effective.precision = ranPrecision }
        try AtomicFile.write(Data(((ran?.tomlComment ?? "") + effective.renderTOML()).utf8), to: configURL)
    }

    /// The predictions file of the evaluation after `round` (see `PredictionsFile.name`).
    public func predictionsURL(round: Int, final: Bool) -> URL {
        folder.appendingPathComponent(PredictionsFile.name(round: round, final: final))
    }

    /// Rewrites metrics.jsonl and metrics.csv (`MetricsTable`: one row per round and participant)
    /// from the rounds so far (atomic, so a resumed run never holds a half line or a round twice).
    public func writeMetrics(_ rounds: [RoundMetrics]) throws {
        let enc = RunOutput.jsonEncoder()
        var out = Data()
        for m in rounds {
            out.append(try enc.encode(m))
            out.append(0x0A)
        }
        try AtomicFile.write(out, to: metricsURL)
        try AtomicFile.write(Data(MetricsTable.csv(rounds).utf8), to: metricsTableURL)
    }

    public func writeResult(_ r: RunResult) throws {
        let enc = RunOutput.jsonEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try enc.encode(r), to: resultURL)
    }

    /// Appends one line to run.log (faults, notable events and each round's progress line),
    /// prefixed with the UTC time, e.g. `2026-01-31T12:00:00Z`.
    public func log(_ line: String) {
        let text = Data((Date().ISO8601Format() + " " + line + "\n").utf8)
        if let h = try? FileHandle(forWritingTo: logURL) {
            _ = try? h.seekToEnd()
            try? h.write(contentsOf: text)
            try? h.close()
        } else {
            try? text.write(to: logURL)
        }
    }

    /// Reads metrics.jsonl back.
    public static func readMetrics(_ url: URL) throws -> [RoundMetrics] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ActorsError.storage("cannot read \(url.path)")
        }
        let dec = jsonDecoder()
        return try text.split(separator: "\n").map { try dec.decode(RoundMetrics.self, from: Data($0.utf8)) }
    }
}

/// A short hex digest (FNV-1a 64 of the float bits) to compare adapters across runs.
public enum AdapterDigest {
    public static func hex(_ p: [Float]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for f in p {
            var b = f.bitPattern
            for _ in 0..<4 {
                h = (h ^ UInt64(b & 0xFF)) &* 0x0000_0100_0000_01B3
                b >>= 8
            }
        }
        return String(h, radix: 16)
    }
}

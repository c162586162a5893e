import Foundation
import Model

/// What ran: the program (version, commit), the model file and its digest, the proxy, the
/// precision that actually ran and its kernel path, the CPU, the threads, and the wall and CPU
/// time between `start` and `finish`. Written into result.json, the report header and
/// config.toml's first lines; `fedhds --version` prints `FedHDSVersion.line`.
public struct Provenance: Sendable, Codable, Equatable {
    public var version: String
    /// The git commit the binary was built from (40 hex digits, "-dirty" when the tree had
    /// uncommitted changes), or "unknown".
    public var commit: String
    /// Where `commit` came from: "build" (the stamp `make` writes beside the binary), "git at run
    /// time" (the repository holding the binary, when no valid stamp exists) or "unknown".
    public var commitSource: String
    /// The base model file or folder, or "tiny random model (built in, model.kind = "tiny")".
    public var model: String
    /// SHA-256 of the model file (a folder: of its "name sha256" lines); nil for the tiny model.
    public var modelSHA256: String?
    /// The -Turbo feature model: "none" when the method uses none, "base model (frozen)", or a path.
    public var proxy: String
    public var proxySHA256: String?
    /// `precision` as configured, and what actually ran (bf16 runs fp32 on a CPU without AMX).
    public var precisionRequested: String
    public var precision: String
    /// The kernel path of the frozen weights' products ("amx-bf16" or "fp32").
    public var kernelPath: String
    /// /proc/cpuinfo's "model name".
    public var cpuModel: String
    /// Cores this process may use.
    public var threads: Int
    /// ISO 8601 UTC, of this process's session (a resumed run: since the resume).
    public var started: String
    public var ended: String?
    /// Wall seconds of the work (a resumed run: every session, as result.json's totalSeconds).
    public var wallSeconds: Double?
    /// User + system CPU seconds of this process (getrusage) at `finished` (a resumed run: this
    /// session only).
    public var cpuSeconds: Double?

    /// Provenance of a configuration that is about to run (hashes the model file(s)).
    public static func start(config: RunConfig) -> Provenance {
        let model = config.modelDescription
        let usesProxy = config.method.plan.featureModel == .proxy
        let proxyModel = config.proxyPath.isEmpty ? "base model" : config.proxyPath
        let proxy =
            !usesProxy
            ? "none"
            : config.proxyLayers > 0
                ? "\(proxyModel), first \(config.proxyLayers) layers (frozen)" : "\(proxyModel) (frozen)"
        let effective = config.precision.effective
        let (commit, source) = FedHDSVersion.commit()
        let modelDigest: String? =
            config.modelKind == .tiny || config.modelPath.isEmpty
            ? nil
            : (try? SHA256.fileOrFolder(config.modelPath))
        let proxyDigest: String? =
            usesProxy && !config.proxyPath.isEmpty ? (try? SHA256.fileOrFolder(config.proxyPath)) : nil
        return Provenance(
            version: FedHDSVersion.version, commit: commit, commitSource: source, model: model,
            modelSHA256: modelDigest, proxy: proxy, proxySHA256: proxyDigest,
            precisionRequested: config.precision.rawValue, precision: effective.rawValue,
            kernelPath: config.precision.kernelPath, cpuModel: cpuModel(),
            threads: ProcessInfo.processInfo.activeProcessorCount,
            started: timestamp(Date()), ended: nil, wallSeconds: nil, cpuSeconds: nil)
    }

    /// The same, with the end time, the wall seconds since `since` and this process's CPU time.
    public func finished(since: Date, wallSeconds: Double? = nil) -> Provenance {
        var p = self
        p.ended = Provenance.timestamp(Date())
        p.wallSeconds = wallSeconds ?? Date().timeIntervalSince(since)
        p.cpuSeconds = Provenance.cpuSeconds()
        return p
    }

    public static func cpuModel() -> String {
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("model name") {
                if let colon = line.firstIndex(of: ":") {
                    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return "unknown"
    }

    public static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(u.ru_utime) + s(u.ru_stime)
    }

    public static func timestamp(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }

    /// Lines for the head of config.toml: what ran beside what was asked.
    public var tomlComment: String {
        var s = "# ran: fedhds \(version) (commit \(commit)), model \(model)"
        if let d = modelSHA256 { s += " (sha256 \(d))" }
        s += "\n# ran: precision \(precision)"
        if precision != precisionRequested {
            s += " (\(precisionRequested) requested; this CPU has neither AMX-BF16 nor AVX512-BF16)"
        }
        s += ", kernel path \(kernelPath), proxy \(proxy), \(threads) threads, CPU \(cpuModel)\n"
        return s
    }
}

/// The program's version and the commit it was built from.
public enum FedHDSVersion {
    public static let version = "0.2.0"

    /// "fedhds 0.2.0 (commit …)".
    public static var line: String {
        let (c, source) = commit()
        return "fedhds \(version) (commit \(c), \(source))"
    }

    /// (commit, source): the stamp file `fedhds.commit` beside the running binary when it is at
    /// least as new as the binary (make writes it after each build), else `git` in the repository
    /// that holds the binary, else "unknown".
    public static func commit() -> (String, String) {
        guard let exe = executablePath() else { return ("unknown", "unknown") }
        let fm = FileManager.default
        let stamp = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("fedhds.commit").path
        if let a = try? fm.attributesOfItem(atPath: stamp)[.modificationDate] as? Date,
            let b = try? fm.attributesOfItem(atPath: exe)[.modificationDate] as? Date, a >= b,
            let text = try? String(contentsOfFile: stamp, encoding: .utf8)
        {
            let c = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !c.isEmpty { return (c, "build") }
        }
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while dir.path != "/" {
            if fm.fileExists(atPath: dir.appendingPathComponent(".git").path) {
                guard let head = git(["rev-parse", "HEAD"], in: dir.path), head.count >= 7 else { break }
                let dirty =
                    git(["status", "--porcelain", "--untracked-files=no"], in: dir.path).map { !$0.isEmpty } ?? false
                return (head + (dirty ? "-dirty" : ""), "git at run time")
            }
            dir = dir.deletingLastPathComponent()
        }
        return ("unknown", "unknown")
    }

    static func executablePath() -> String? {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        return Bundle.main.executablePath
    }

    static func git(_ args: [String], in dir: String) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", dir] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

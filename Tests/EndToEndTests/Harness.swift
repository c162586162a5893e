import Foundation
@testable import Actors

/// Runs the built `fedhds` binary and reads what runs leave behind.
enum Harness {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var binary: String { root.appendingPathComponent(".build/release/fedhds").path }
    static var smoke: String { root.appendingPathComponent("experiments/smoke.toml").path }

    static func tempDir(_ tag: String) -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("fedhds-e2e-\(tag)-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// The smoke configuration with changes, written to `dir/input.toml`.
    static func config(in dir: String, _ changes: (inout RunConfig) -> Void) throws -> String {
        var c = try RunConfig.load(path: smoke)
        c.dataPath = root.appendingPathComponent("data/dolly/databricks-dolly-15k.jsonl").path
        changes(&c)
        let path = dir + "/input.toml"
        try c.renderTOML().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func start(_ args: [String], log: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        p.environment = env
        FileManager.default.createFile(atPath: log, contents: nil)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = h
        p.standardError = h
        try p.run()
        return p
    }

    /// Runs to the end; returns (exit status, output).
    static func run(_ args: [String], log: String) async throws -> (Int32, String) {
        let p = try start(args, log: log)
        while p.isRunning { try await Task.sleep(nanoseconds: 50_000_000) }
        return (p.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    static func result(_ dir: String) throws -> RunResult {
        try JSONDecoder().decode(RunResult.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/result.json")))
    }

    static func metrics(_ dir: String) throws -> [RoundMetrics] {
        try RunOutput.readMetrics(URL(fileURLWithPath: dir + "/metrics.jsonl"))
    }

    static func waitFor(_ timeout: Double, _ condition: () -> Bool) async throws -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if condition() { return true }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        return condition()
    }
}

import Foundation
@testable import Actors

/// Runs the built `fedhds` binary and reads what runs leave behind.
enum Harness {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// The built binary; env FEDHDS_BINARY runs the tests against another build (e.g. to see a
    /// fault test fail on a build without the fix).
    static var binary: String {
        ProcessInfo.processInfo.environment["FEDHDS_BINARY"].flatMap { $0.isEmpty ? nil : $0 }
            ?? root.appendingPathComponent(".build/release/fedhds").path
    }
    static var smoke: String { root.appendingPathComponent("experiments/smoke.toml").path }

    static func tempDir(_ tag: String) -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fedhds-e2e-\(tag)-\(UUID().uuidString.prefix(8))"
        ).path
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

extension Harness {
    /// The SmolLM2 GGUF: env FEDHDS_MODEL, else ~/.cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf.
    /// Nil (with the reason) when it is absent, so a test can fail saying so.
    static func smolLM2() -> (path: String?, reason: String) {
        let path =
            ProcessInfo.processInfo.environment["FEDHDS_MODEL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(
                ".cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf"
            ).path
        if FileManager.default.fileExists(atPath: path) { return (path, "") }
        return (nil, "SmolLM2 GGUF not found at \(path): run `bash scripts/fetch-model.sh` or set FEDHDS_MODEL")
    }

    /// Runs the binary to the end as a direct child (posix_spawn + wait4, so nothing else reaps
    /// it) and returns its exit status, its peak resident set in bytes (ru_maxrss) and its output.
    static func runMeasuringMemory(_ args: [String], log: String) throws -> (status: Int32, maxRSS: Int, output: String)
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        let argv = ([binary] + args).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, binary, &actions, nil, argv, envp)
        guard rc == 0 else { throw ActorsError.storage("posix_spawn \(binary): error \(rc)") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw ActorsError.storage("wait4: errno \(errno)") }
        }
        // Linux reports ru_maxrss in kilobytes.
        let exit: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
        return (exit, usage.ru_maxrss * 1024, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}

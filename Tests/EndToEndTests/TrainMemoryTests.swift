import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Issue #3: "memory for a 1024-token SmolLM2 step stays under 3 GB". Runs the built `fedhds
/// train` on one sample cut to 1024 tokens for one step (forward, backward, Adam, adapter saved)
/// and reads the child's peak resident set size from wait4's rusage.
@Suite struct TrainMemoryTests {
    static let limitBytes = 3_000_000_000.0

    static var modelPath: String {
        ProcessInfo.processInfo.environment["FEDHDS_MODEL"]
            ?? NSHomeDirectory() + "/.cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    @Test func smolLM2StepOn1024TokensStaysUnder3GB() async throws {
        let model = Self.modelPath
        try #require(FileManager.default.fileExists(atPath: model),
                     "SmolLM2 GGUF not found at \(model): run `bash scripts/fetch-model.sh` or set FEDHDS_MODEL")
        let dir = Harness.tempDir("train-memory")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A response far longer than 1024 tokens: the sample is cut to exactly 1024.
        let words = (0..<600).map { "word\($0) of a long answer," }.joined(separator: " ")
        let sample = try JSONSerialization.data(withJSONObject: ["instruction": "Write a long list.", "output": words])
        try (String(decoding: sample, as: UTF8.self) + "\n").write(toFile: dir + "/sample.jsonl", atomically: true, encoding: .utf8)
        let log = dir + "/train.log"
        let (status, peakKB) = try await Self.runMeasuringPeak(
            [Harness.binary, "train", "--model", model, "--data", dir + "/sample.jsonl", "--epochs", "1",
             "--max-length", "1024", "--out", dir + "/adapter"], log: log)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let peakBytes = Double(peakKB) * 1024
        print(String(format: "fedhds train, SmolLM2-135M, one 1024-token step: peak RSS %.0f MB (limit %.0f MB)",
                     peakBytes / 1e6, Self.limitBytes / 1e6))
        #expect(status == 0, "fedhds train failed:\n\(output)")
        #expect(output.contains("step 1/1") && output.contains("tokens 1024"), "expected one 1024-token step:\n\(output)")
        #expect(peakBytes > 100e6, "implausible peak RSS \(peakKB) kB")
        #expect(peakBytes < Self.limitBytes, "peak RSS \(peakBytes / 1e6) MB exceeds 3 GB")
    }

    /// Spawns `argv` (stdout and stderr to `log`), waits for it without blocking a thread, and
    /// returns its exit status and peak RSS in kB (ru_maxrss of the reaped child).
    static func runMeasuringPeak(_ argv: [String], log: String) async throws -> (Int32, Int) {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &fileActions, nil, cArgs, cEnv)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
        var status: Int32 = 0
        var usage = rusage()
        while true {
            let r = wait4(pid, &status, WNOHANG, &usage)
            if r == pid { break }
            if r < 0 && errno != EINTR { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECHILD) }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        let exited = (status & 0x7f) == 0
        return (exited ? (status >> 8) & 0xff : -1, usage.ru_maxrss)
    }
}

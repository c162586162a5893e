import Foundation

extension RunOutput {
    /// Files a run leaves in its folder (what `--force` clears before starting over).
    static let runFiles = [
        "result.json", "checkpoint.bin", "metrics.jsonl", "metrics.csv", "run.log", "report.html",
        "config.toml", "workers.json", "cluster-config.toml", "adapter"
    ]

    /// Checks an output folder before a run writes anything into it. Refuses `resume` without a
    /// checkpoint to continue from, and a folder that holds another run (result.json,
    /// checkpoint.bin or metrics.jsonl) unless `resume` (continue it) or `force` (start over:
    /// that run's files are removed first).
    public static func prepare(folder: String, resume: Bool, force: Bool) throws {
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: folder, isDirectory: true)
        if resume {
            guard !force else {
                throw ActorsError.invalidConfiguration(
                    "--resume continues the run in \(folder), --force starts it over: give one")
            }
            guard fm.fileExists(atPath: dir.appendingPathComponent("checkpoint.bin").path) else {
                throw ActorsError.storage(
                    "--resume: \(folder) holds no checkpoint.bin to continue from (run without --resume to start)")
            }
            return
        }
        let state = ["result.json", "checkpoint.bin", "metrics.jsonl"].filter {
            fm.fileExists(atPath: dir.appendingPathComponent($0).path)
        }
        guard !state.isEmpty else { return }
        guard force else {
            throw ActorsError.storage(
                "\(folder) already holds a run (\(state.joined(separator: ", "))): pass --resume to continue it, --force to start over in it, or another --out"
            )
        }
        for name in runFiles {
            let url = dir.appendingPathComponent(name)
            guard fm.fileExists(atPath: url.path) else { continue }
            do { try fm.removeItem(at: url) } catch {
                throw ActorsError.storage("--force: cannot remove \(url.path): \(error)")
            }
        }
    }
}

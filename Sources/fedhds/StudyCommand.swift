import Actors
import ArgumentParser
import Data
import Dispatch
import Foundation
import Model

/// `fedhds study`: what the paper-scale Dolly study costs on this CPU (`cost`), and what the
/// -Turbo layer proxy keeps of the full model's selection (`proxy-layers`).
struct StudyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract:
            "Unit costs and projected wall times of the paper-scale Dolly study; the layer proxy's cost and quality.",
        subcommands: [StudyCostCommand.self, ProxyLayersCommand.self])

    /// The paper's Dolly setting: 200 clients, Dirichlet over the 7 training categories,
    /// summarization held out, max_length 1024, 10 clients a round, 40 rounds (RunConfig's defaults).
    static func paperConfig(model: String, data: String?, alpha: Double, seed: UInt64, precision: Precision?) throws
        -> RunConfig
    {
        var c = RunConfig()
        (c.modelPath, c.modelKind) = (model, .pretrained)
        c.alpha = alpha
        c.seed = seed
        if let precision { c.precision = precision }
        c.dataPath = try data ?? DataPaths.dollyFile()
        try c.validate()
        return c
    }

    static func modelPath(_ given: String?) throws -> String {
        guard let path = given ?? ProcessInfo.processInfo.environment["FEDHDS_MODEL"] else {
            throw ValidationError("give --model PATH (or set FEDHDS_MODEL)")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("model file \(path) not found")
        }
        return path
    }

    /// Which of the vector extensions that pick kernel paths the CPU reports.
    static func cpuFlags() -> String {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return "flags unknown" }
        let flags = Set(line.split(separator: " ").map(String.init))
        let named = ["avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16"].filter { flags.contains($0) }
        return named.isEmpty ? "no AVX2/AVX-512/AMX" : named.joined(separator: " ")
    }

    /// The 1-minute load average and the number of cores, to show how busy the machine was.
    static func loadLine() -> String {
        let load =
            (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(
                String.init) ?? "?"
        return "load average \(load) on \(ProcessInfo.processInfo.activeProcessorCount) cores"
    }

    /// User + system CPU seconds this process has used (all its threads).
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(u.ru_utime) + s(u.ru_stime)
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    static func list(_ s: String, name: String) throws -> [Int] {
        let values = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! > 0 }) else {
            throw ValidationError("\(name): expected positive integers separated by commas, got \"\(s)\"")
        }
        return values.map { $0! }
    }

    static func duration(_ s: Double) -> String {
        if s < 120 { return String(format: "%.0f s", s) }
        if s < 7200 { return String(format: "%.1f min", s / 60) }
        return String(format: "%.2f h", s / 3600)
    }
}

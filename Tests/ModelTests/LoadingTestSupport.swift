import Foundation
@testable import Model

/// Paths and helpers shared by the loading, GGUF, safetensors and tokenizer tests.
enum LoadingFixtures {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static func path(_ relative: String) -> String { golden.appendingPathComponent(relative).path }

    static func json(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: golden.appendingPathComponent(relative))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// The default model: env FEDHDS_MODEL, else the cache path of scripts/fetch-model.sh.
    static var defaultModelPath: String {
        if let p = ProcessInfo.processInfo.environment["FEDHDS_MODEL"], !p.isEmpty { return p }
        let cache = ProcessInfo.processInfo.environment["FEDHDS_CACHE"]
            ?? (NSHomeDirectory() + "/.cache/fedhds")
        return cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    /// A fresh temporary folder for files a test writes.
    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedhds-loading-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    /// The message of a thrown ModelError (or a note that something else or nothing was thrown).
    static func errorText(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "<no error>"
        } catch let e as ModelError {
            return e.description
        } catch {
            return "<not a ModelError: \(error)>"
        }
    }
}

import Foundation
import TestSupport

/// The shared seeded generator of the tests.
typealias SplitMix64 = TestSupport.SplitMix64

enum TestPaths {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let golden = testsFolder.appendingPathComponent("Golden")
    static let repoRoot = testsFolder.deletingLastPathComponent().deletingLastPathComponent()
    static let dataRoot = repoRoot.appendingPathComponent("data").path

    /// Decodes a JSONL golden (JSONDecoder: JSONSerialization drops U+FEFF inside strings on Linux).
    static func goldenJSONL<T: Decodable>(_ name: String, as type: T.Type) throws -> [T] {
        let text = try String(contentsOf: golden.appendingPathComponent(name), encoding: .utf8)
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").map { try decoder.decode(T.self, from: Data($0.utf8)) }
    }

    /// A fresh temporary file with the given contents.
    static func temporaryFile(_ contents: String, name: String = "data.jsonl") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fedhds-data-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try Data(contents.utf8).write(to: url)
        return url.path
    }
}

import Foundation

/// A small seeded generator for the tests (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

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
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedhds-data-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try Data(contents.utf8).write(to: url)
        return url.path
    }
}

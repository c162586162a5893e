import Foundation
@testable import Selection

/// Locates and decodes the goldens made by Golden/make_goldens.py.
enum GoldenFiles {
    static func url(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name)")
    }

    static func load<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url(name)))
    }

    static func matrix(_ rows: [[Double]]) throws -> Matrix {
        try Matrix(rowArrays: rows)
    }
}

/// A small seeded generator for tests.
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

/// Whether two labelings are equal up to renumbering of the clusters (noise -1 stays -1).
func sameUpToRenumbering(_ a: [Int], _ b: [Int]) -> Bool {
    guard a.count == b.count else { return false }
    var ab: [Int: Int] = [:], ba: [Int: Int] = [:]
    for (x, y) in zip(a, b) {
        if (x == -1) != (y == -1) { return false }
        if let m = ab[x], m != y { return false }
        if let m = ba[y], m != x { return false }
        ab[x] = y; ba[y] = x
    }
    return true
}

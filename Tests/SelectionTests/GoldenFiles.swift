import Foundation
@testable import Selection
import TestSupport

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

/// The shared seeded generator of the tests.
typealias SplitMix64 = TestSupport.SplitMix64

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

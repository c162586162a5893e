import Foundation

/// Weak references to packed copies of model weights (`BF16Weights`, `CompactWeights`,
/// `BF16TrainingWeights`), so every decoder and trainer over the same weights in a process shares
/// one copy, built on first use and freed when the last user lets go.
///
/// Weights are matched by the storage of their matrices (`key(for:)`): a modified copy (an adapter
/// merged in) gets its own pack. The packed object must keep its source `ModelWeights` alive, so the
/// addresses in its key cannot be freed and reused by other weights while it lives.
/// `@unchecked Sendable`: every access to `entries` holds `lock`.
final class PackedWeightsCache<Packed: AnyObject>: @unchecked Sendable {
    private struct Weak { weak var value: Packed? }
    private let lock = NSLock()
    private var entries: [[Int]: Weak] = [:]

    /// The live copy for `weights`, or a new one from `make`. It is built under the lock: callers
    /// starting together (clients of one round) wait for one copy instead of making several.
    func packed(for weights: ModelWeights, make: (ModelWeights) -> Packed) -> Packed {
        let key = Self.key(for: weights)
        lock.lock()
        defer { lock.unlock() }
        entries = entries.filter { $0.value.value != nil }
        if let hit = entries[key]?.value { return hit }
        let made = make(weights)
        entries[key] = Weak(value: made)
        return made
    }

    /// Address, size and rows of every projection's and the output matrix's storage, in a fixed order.
    static func key(for w: ModelWeights) -> [Int] {
        func id(_ t: Tensor) -> [Int] {
            t.data.withUnsafeBufferPointer { [Int(bitPattern: $0.baseAddress), $0.count, t.rows] }
        }
        var key = id(w.outputMatrix)
        for layer in w.layers {
            for p in layer.projections.keys.sorted(by: { $0.rawValue < $1.rawValue }) { key += id(layer.projections[p]!.weight) }
        }
        return key
    }
}

import Synchronization

/// Memoised BPE results per pre-tokenized piece (its raw bytes), shared by every copy of a
/// tokenizer. Text repeats words heavily, so most pieces are encoded once.
final class BPECache: Sendable {
    private let storage = Mutex<[[UInt8]: [Int32]]>([:])
    /// Entries kept before the cache is emptied (bounds memory on adversarial input).
    static let capacity = 200_000

    func get(_ key: [UInt8]) -> [Int32]? {
        storage.withLock { $0[key] }
    }

    func set(_ key: [UInt8], _ value: [Int32]) {
        storage.withLock {
            if $0.count >= Self.capacity { $0.removeAll(keepingCapacity: true) }
            $0[key] = value
        }
    }
}

/// Keys and values of one sequence for every layer: `[L][2][capacity, kvDim]`, rotary already
/// applied to the keys. Owned by one generation call.
final class KVCache {
    let capacity: Int
    let kvDim: Int
    let layers: Int
    private let storage: UnsafeMutablePointer<Float>

    init(layers: Int, capacity: Int, kvDim: Int) {
        self.layers = layers
        self.capacity = capacity
        self.kvDim = kvDim
        storage = .allocate(capacity: max(1, layers * 2 * capacity * kvDim))
    }

    func keys(layer: Int) -> UnsafeMutablePointer<Float> { storage + layer * 2 * capacity * kvDim }
    func values(layer: Int) -> UnsafeMutablePointer<Float> { keys(layer: layer) + capacity * kvDim }

    deinit { storage.deallocate() }
}

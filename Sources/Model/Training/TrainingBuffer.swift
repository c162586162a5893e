/// A zero-initialised Float buffer owned by one training pass (activations kept for backward,
/// gradients of activations, scratch). Freed when the pass ends.
final class TrainingBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ count: Int) {
        self.count = count
        pointer = .allocate(capacity: Swift.max(count, 1))
        pointer.initialize(repeating: 0, count: Swift.max(count, 1))
    }

    /// A buffer whose contents are left as they come (every element is written before it is
    /// read: activations kept for backward, gradients whose first writer overwrites).
    init(uninitialized count: Int) {
        self.count = count
        pointer = .allocate(capacity: Swift.max(count, 1))
    }

    deinit { pointer.deallocate() }

    var p: UnsafeMutablePointer<Float> { pointer }
    func zero() { pointer.update(repeating: 0, count: count) }
    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

extension TrainingBuffer {
    /// A buffer holding a copy of `values`.
    convenience init(_ values: [Float]) {
        self.init(values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }
}

/// A growable scratch buffer of floats, owned by one call (never shared between threads).
final class ScratchBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init() {
        capacity = 0
        pointer = .allocate(capacity: 1)
    }

    /// A pointer to at least `count` floats; contents are kept only when no growth happens.
    func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            capacity = max(count, capacity + capacity / 2)
            pointer = .allocate(capacity: capacity)
        }
        return pointer
    }

    deinit { pointer.deallocate() }
}

/// The activations and scratch of one forward call, reused across layers and generation steps.
/// Each call of `Decoder` makes its own, so one `Decoder` serves many threads at once.
final class Workspace {
    /// Residual stream `[T, d]`.
    let x = ScratchBuffer()
    /// Normalised input of a sub-block `[T, d]`.
    let h = ScratchBuffer()
    /// Queries `[T, H*hd]` (GPT-2: fused q|k|v `[T, 3d]`).
    let q = ScratchBuffer()
    let k = ScratchBuffer()
    let v = ScratchBuffer()
    /// Attention output `[T, H*hd]`.
    let attention = ScratchBuffer()
    /// MLP hidden `[T, ff]` (gate / fc) and `[T, ff]` (up).
    let ff1 = ScratchBuffer()
    let ff2 = ScratchBuffer()
    /// Attention scores of one head of one sequence.
    let scores = ScratchBuffer()
    /// LoRA intermediate `x A^T` `[T, r]`.
    let lora = ScratchBuffer()
    /// Rotary cos / sin per row `[T, hd/2]`.
    let cos = ScratchBuffer()
    let sin = ScratchBuffer()
    /// Gathered, final-normed rows `[R, d]` and their logits `[R, V]`.
    let rows = ScratchBuffer()
    let logits = ScratchBuffer()
}

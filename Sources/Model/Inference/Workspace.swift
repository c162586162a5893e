/// A growable scratch buffer (of floats, or of bfloat16 bits), owned by one call (never shared
/// between threads).
final class ScratchBuffer<Element> {
    private(set) var pointer: UnsafeMutablePointer<Element>
    private(set) var capacity: Int

    init() {
        capacity = 0
        pointer = .allocate(capacity: 1)
    }

    /// A pointer to at least `count` elements; contents are kept only when no growth happens.
    func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
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
    let x = ScratchBuffer<Float>()
    /// Normalised input of a sub-block `[T, d]`.
    let h = ScratchBuffer<Float>()
    /// Queries `[T, H*hd]` (GPT-2: fused q|k|v `[T, 3d]`).
    let q = ScratchBuffer<Float>()
    let k = ScratchBuffer<Float>()
    let v = ScratchBuffer<Float>()
    /// Attention output `[T, H*hd]`.
    let attention = ScratchBuffer<Float>()
    /// MLP hidden `[T, ff]` (gate / fc) and `[T, ff]` (up).
    let ff1 = ScratchBuffer<Float>()
    let ff2 = ScratchBuffer<Float>()
    /// Attention scores of one head of one sequence.
    let scores = ScratchBuffer<Float>()
    /// LoRA intermediate `x A^T` `[T, r]`.
    let lora = ScratchBuffer<Float>()
    /// Gathered, final-normed rows `[R, d]` and their logits `[R, V]`.
    let rows = ScratchBuffer<Float>()
    let logits = ScratchBuffer<Float>()
    /// Rows of a product's input rounded to bfloat16 in `ck_bf16_rows`' padded layout.
    let bf16Rows = ScratchBuffer<UInt16>()
}

import CKernels

/// The frozen matrices of one `ModelWeights` rounded to bfloat16 and packed for the bfloat16 product,
/// each both ways: every projection as `W^T` (forward, `y = x W^T`) and as `W` (backward,
/// `dx = dy W`), and the output matrix `E` as `E^T` (`logits = h E^T`) and `E` (`dh = dlogits E`).
/// The forward orientation is the inference pack (`BF16Weights`) of the same `ModelRuntime`, shared
/// with every decoder over it; only the backward orientation is packed here. About 2 bytes per frozen
/// matrix weight each way (270 MB per orientation for SmolLM2-135M).
///
/// Built once per runtime (`ModelRuntime.prepareForTraining`) and shared by every trainer over it,
/// across rounds and clients. `@unchecked Sendable`: the buffer is written only in `init`, before the
/// object is published, then only read (by any number of passes at once) until `deinit` frees it.
public final class BF16TrainingWeights: @unchecked Sendable {
    struct PackedLinear {
        let forward: BF16Operand
        let backward: BF16Operand

        /// Both orientations multiplied on `kernel`.
        func on(_ kernel: BF16Kernel) -> PackedLinear {
            PackedLinear(forward: forward.on(kernel), backward: backward.on(kernel))
        }
    }

    /// Packed projections per layer.
    let layers: [[Projection: PackedLinear]]
    /// The output matrix (LM head or tied embedding) both ways.
    let output: PackedLinear
    /// The forward packs (held: their storage backs every `forward` operand).
    private let forward: BF16Weights
    /// One allocation with every backward pack.
    private let storage: UnsafeMutablePointer<UInt16>
    /// Bytes of packed bfloat16 data, both orientations.
    public let byteCount: Int

    /// Takes the forward packs of `weights` (`forward`, the runtime's inference copy) and packs every
    /// projection and the output matrix the other way (plain C, spread over the cores).
    init(weights: ModelWeights, forward: BF16Weights) {
        self.forward = forward
        // w is [rows, cols] = [out, in]: the backward pack is w itself (k = out, n = in). Offsets
        // first, then one allocation, then the packing spread over the cores.
        var jobs: [(tensor: Tensor, offset: Int)] = []
        var total = 0
        func reserve(_ w: Tensor) -> Int {
            jobs.append((w, total))
            total += Int(ck_bf16_packed_count(Int32(w.rows), Int32(w.columns)))
            return jobs.last!.offset
        }
        let layerOffsets = weights.layers.map { $0.projections.mapValues { reserve($0.weight) } }
        let outputOffset = reserve(weights.outputMatrix)
        let storage = UnsafeMutablePointer<UInt16>.allocate(capacity: max(total, 1))
        BF16Weights.pack(jobs, transposed: false, into: storage)
        func linear(_ w: Tensor, forward m: BF16Weights.Matrix, offset: Int) -> PackedLinear {
            PackedLinear(
                forward: BF16Operand(pointer: m.pointer, k: m.inFeatures, n: m.outFeatures),
                backward: BF16Operand(pointer: UnsafePointer(storage + offset), k: w.rows, n: w.columns))
        }
        layers = weights.layers.enumerated().map { l, layer in
            Dictionary(
                uniqueKeysWithValues: layer.projections.map { p, lin in
                    (p, linear(lin.weight, forward: forward.projection(layer: l, p)!, offset: layerOffsets[l][p]!))
                })
        }
        output = linear(weights.outputMatrix, forward: forward.output, offset: outputOffset)
        self.storage = storage
        byteCount = 2 * (total + forward.count)
    }

    deinit { storage.deallocate() }
}

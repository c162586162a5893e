import CKernels

/// Compact copies of a decoder's bfloat16-packed weights for decoding steps (`ck_compact_pack_transposed`):
/// a weight that a quantised GGUF (Q4_1, Q4_0, Q8_0) dequantised at load is stored as its 4- or
/// 8-bit integers with a scale and offset per 32 inputs of an output, which rebuild exactly the
/// bfloat16 values of `BF16Weights`. Products with few rows read these 2.7x (4 bits) or 1.6x (8 bits)
/// fewer bytes than the bfloat16 copy and give bit-identical results. A matrix that is not exactly
/// of that form (e.g. float16 or float32 weights) has no compact copy and keeps the bfloat16 path.
///
/// `@unchecked Sendable`: every buffer is written only in `init` and freed in `deinit`; calls only
/// read them, and the owning `ModelRuntime` keeps the instance alive while they run.
final class CompactWeights: @unchecked Sendable {
    struct Matrix {
        let pointer: UnsafePointer<UInt8>
        let bits: Int
        let inFeatures: Int
        let outFeatures: Int
    }

    private var buffers: [UnsafeMutableRawPointer] = []
    /// `projections[layer * Projection.allCases.count + index]`.
    private let projections: [Matrix?]
    let output: Matrix?
    /// Bytes of all compact copies.
    let bytes: Int

    /// Tries 4 bits, then 8 bits, for every projection of every layer and the output matrix
    /// (in parallel); the weights must have passed `Decoder`'s shape check.
    init(weights: ModelWeights) {
        var tensors: [(slot: Int?, tensor: Tensor)] = []
        for (l, layer) in weights.layers.enumerated() {
            for p in Projection.allCases {
                guard let lin = layer.projections[p] else { continue }
                tensors.append((p.slot(layer: l), lin.weight))
            }
        }
        tensors.append((nil, weights.outputMatrix))
        var packed = [(UnsafeMutableRawPointer, Int)?](repeating: nil, count: tensors.count)
        packed.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(tensors.count) { j in out[j] = CompactWeights.pack(tensors[j].tensor) }
        }
        var projections = [Matrix?](repeating: nil, count: weights.layers.count * Projection.slotCount)
        var output: Matrix?
        var bytes = 0
        for (j, job) in tensors.enumerated() {
            guard let (buffer, bits) = packed[j] else { continue }
            buffers.append(buffer)
            let m = Matrix(
                pointer: UnsafePointer(buffer.assumingMemoryBound(to: UInt8.self)), bits: bits,
                inFeatures: job.tensor.columns, outFeatures: job.tensor.rows)
            bytes += ck_compact_bytes(Int32(m.inFeatures), Int32(m.outFeatures), Int32(bits))
            if let slot = job.slot { projections[slot] = m } else { output = m }
        }
        self.projections = projections
        self.output = output
        self.bytes = bytes
    }

    /// The compact copy of `w` (`[out, in]`) with the fewest bits that is exact, or nil.
    static func pack(_ w: Tensor) -> (UnsafeMutableRawPointer, Int)? {
        for bits in [4, 8] {
            let n = ck_compact_bytes(Int32(w.columns), Int32(w.rows), Int32(bits))
            guard n > 0 else { return nil }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
            let ok = w.data.withUnsafeBufferPointer { p in
                ck_compact_pack_transposed(
                    p.baseAddress!, Int32(w.rows), Int32(w.columns), Int32(w.columns), Int32(bits),
                    buffer.assumingMemoryBound(to: UInt8.self))
            }
            if ok == 1 { return (buffer, bits) }
            buffer.deallocate()
        }
        return nil
    }

    /// The compact copy of `projection` in `layer`, nil when it has none.
    func projection(layer: Int, _ projection: Projection) -> Matrix? {
        projections[projection.slot(layer: layer)]
    }

    deinit { for b in buffers { b.deallocate() } }
}

import CKernels

/// bfloat16 copies of a decoder's projection weights and output matrix, packed once for
/// `ck_amx_gemm` (`ck_bf16_pack_transposed`: `b = W^T` of every `[out, in]` weight).
///
/// One allocation holds every matrix; it is written only in `init` and freed in `deinit`. A
/// `ModelRuntime` owns it, and every decoder and trainer over that runtime reads it (training adds
/// only the other orientation, `BF16TrainingWeights`). `@unchecked Sendable` is safe because the
/// storage is immutable after `init` returns: every thread only reads it, and each user holds the
/// runtime, so the storage, for as long as its calls run.
final class BF16Weights: @unchecked Sendable {
    /// One packed `b = W^T` (`[inFeatures, outFeatures]`) inside the storage.
    struct Matrix {
        let pointer: UnsafePointer<UInt16>
        let inFeatures: Int
        let outFeatures: Int
    }

    private let storage: UnsafeMutablePointer<UInt16>
    /// Elements (UInt16) of the storage: bytes / 2.
    let count: Int
    /// `projections[layer * Projection.allCases.count + index of the projection]`.
    private let projections: [Matrix?]
    /// The LM head (or the tied embedding) `[V, d]`, packed as `[d, V]`.
    let output: Matrix

    /// Packs every projection of every layer and the output matrix of `weights`, which must have
    /// passed `Decoder`'s shape check (each `Linear` weight is `[out, in]`). Matrices are packed
    /// in parallel (disjoint parts of the storage).
    init(weights: ModelWeights) {
        // (layer or -1 for the output, projection, tensor) with its offset in the storage.
        var jobs: [(slot: Int?, tensor: Tensor, offset: Int)] = []
        var total = 0
        for (l, layer) in weights.layers.enumerated() {
            for p in Projection.allCases {
                guard let lin = layer.projections[p] else { continue }
                jobs.append((p.slot(layer: l), lin.weight, total))
                total += ck_bf16_packed_count(Int32(lin.inFeatures), Int32(lin.outFeatures))
            }
        }
        let out = weights.outputMatrix
        jobs.append((nil, out, total))
        total += ck_bf16_packed_count(Int32(out.columns), Int32(out.rows))

        let storage = UnsafeMutablePointer<UInt16>.allocate(capacity: max(total, 1))
        BF16Weights.pack(jobs.map { ($0.tensor, $0.offset) }, transposed: true, into: storage)
        var projections = [Matrix?](repeating: nil, count: weights.layers.count * Projection.slotCount)
        var output: Matrix?
        for job in jobs {
            let m = Matrix(
                pointer: UnsafePointer(storage + job.offset), inFeatures: job.tensor.columns,
                outFeatures: job.tensor.rows)
            if let slot = job.slot { projections[slot] = m } else { output = m }
        }
        self.storage = storage
        self.count = total
        self.projections = projections
        self.output = output!
    }

    /// The packed weight of `projection` in `layer`, nil when the layer has no such projection.
    func projection(layer: Int, _ projection: Projection) -> Matrix? {
        projections[projection.slot(layer: layer)]
    }

    deinit { storage.deallocate() }

    /// Packs every `[out, in]` tensor at its offset in `storage`, as `W^T` (`transposed`, the forward
    /// operand) or as `W`, spread over the cores (the parts of `storage` are disjoint).
    static func pack(
        _ jobs: [(tensor: Tensor, offset: Int)], transposed: Bool, into storage: UnsafeMutablePointer<UInt16>
    ) {
        Parallel.forEach(jobs.count) { j in
            let (t, offset) = jobs[j]
            t.data.withUnsafeBufferPointer { w in
                if transposed {
                    ck_bf16_pack_transposed(
                        w.baseAddress!, Int32(t.rows), Int32(t.columns), Int32(t.columns), storage + offset)
                } else {
                    ck_bf16_pack(w.baseAddress!, Int32(t.rows), Int32(t.columns), Int32(t.columns), storage + offset)
                }
            }
        }
    }
}

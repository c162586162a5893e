extension ModelWeights {
    /// The weights with the adapter folded in: W + scale * B A for every adapted projection, for
    /// fast inference with no LoRA branch.
    public func merging(_ adapter: LoRAAdapter) throws -> ModelWeights {
        try folding(adapter, sign: 1)
    }

    /// Undoes `merging`: W - scale * B A (exact up to Float rounding).
    public func unmerging(_ adapter: LoRAAdapter) throws -> ModelWeights {
        try folding(adapter, sign: -1)
    }

    private func folding(_ adapter: LoRAAdapter, sign: Float) throws -> ModelWeights {
        try adapter.validate(for: config)
        var out = self
        let r = adapter.config.rank, scale = sign * adapter.config.scale
        adapter.parameters.withUnsafeBufferPointer { p in
            for v in adapter.views {
                guard var linear = out.layers[v.layer].projections[v.projection] else { continue }
                linear.weight.data.withUnsafeMutableBufferPointer { w in
                    BLAS.gemm(
                        m: v.outFeatures, n: v.inFeatures, k: r, alpha: scale,
                        a: p.baseAddress! + v.bOffset, lda: r, b: p.baseAddress! + v.aOffset,
                        ldb: v.inFeatures, beta: 1, c: w.baseAddress!, ldc: v.inFeatures)
                }
                out.layers[v.layer].projections[v.projection] = linear
            }
        }
        return out
    }
}

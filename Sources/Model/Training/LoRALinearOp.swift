/// The trainable low-rank factors of one projection: views into the adapter's flat parameter
/// vector and into the gradient vector of the same layout.
struct LoRAFactors {
    /// A `[r, in]`, B `[out, r]`.
    let a: UnsafePointer<Float>, b: UnsafePointer<Float>
    /// Gradient buffers of A and B (nil when no gradient is wanted).
    let gradA: UnsafeMutablePointer<Float>?, gradB: UnsafeMutablePointer<Float>?
    let rank: Int
    let scale: Float
    /// Dropout probability on the LoRA input (0 = none, as in evaluation).
    let dropout: Float
}

/// A frozen linear layer with an optional LoRA branch:
/// `y = x W^T + b + scale * (dropout(x) A^T) B^T`.
///
/// With `packed` (bfloat16 precision) the frozen products `x W^T` and `dy W` run on AMX in
/// bfloat16 with float32 sums; the LoRA factors, their products and gradients stay float32.
///
/// Forward saves u = dropout(x) A^T `[n, r]` (the input x is kept by the caller, the dropout
/// mask is regenerated from its seed). Backward adds dx and the gradients of A and B; W and b
/// are frozen and get none.
struct LoRALinearOp {
    /// W `[out, in]`, bias `[out]`.
    let weight: UnsafePointer<Float>
    let bias: UnsafePointer<Float>?
    let inFeatures: Int, outFeatures: Int
    let lora: LoRAFactors?
    /// With bfloat16 precision: W packed both ways, and scratch for the converted rows of the
    /// frozen products (`BF16Operand.scratchCount` of `n` rows and `max(in, out)` columns).
    var packed: BF16TrainingWeights.PackedLinear? = nil
    var bf16Scratch: UnsafeMutablePointer<UInt16>? = nil

    /// Floats of scratch `forward`/`backward` need for `n` rows.
    func scratchCount(rows n: Int) -> Int { n * inFeatures + n * (lora?.rank ?? 0) }

    /// x `[n, in]` (leading dim ldx) -> y `[n, out]` (leading dim ldy; overwritten, or added to
    /// with `accumulate`, which is how a residual connection is written). Saves u `[n, r]`.
    func forward(x: UnsafePointer<Float>, ldx: Int, n: Int, y: UnsafeMutablePointer<Float>, ldy: Int,
                 accumulate: Bool = false, u: UnsafeMutablePointer<Float>?, seed: UInt64,
                 scratch: UnsafeMutablePointer<Float>) {
        if let packed, let bf16Scratch {
            packed.forward.multiply(x, rows: n, ldx: ldx, into: y, ldy: ldy, accumulate: accumulate, scratch: bf16Scratch)
        } else {
            BLAS.gemm(transB: true, m: n, n: outFeatures, k: inFeatures, a: x, lda: ldx, b: weight,
                      ldb: inFeatures, beta: accumulate ? 1 : 0, c: y, ldc: ldy)
        }
        if let bias {
            for i in 0..<n { let yr = y + i * ldy; for j in 0..<outFeatures { yr[j] += bias[j] } }
        }
        guard let lora, let u else { return }
        let r = lora.rank
        let (xd, ldxd) = droppedInput(x: x, ldx: ldx, n: n, seed: seed, scratch: scratch)
        BLAS.gemm(transB: true, m: n, n: r, k: inFeatures, a: xd, lda: ldxd, b: lora.a, ldb: inFeatures,
                          beta: 0, c: u, ldc: r)
        BLAS.gemm(transB: true, m: n, n: outFeatures, k: r, alpha: lora.scale, a: u, lda: r,
                          b: lora.b, ldb: r, beta: 1, c: y, ldc: ldy)
    }

    /// Adds dL/dx into dx (leading dim lddx; nil when nothing upstream needs it, as below the
    /// first block) and dL/dA, dL/dB into the factors' gradients, given dy `[n, out]` (leading
    /// dim ldy), the forward input x and the saved u.
    func backward(dy: UnsafePointer<Float>, ldy: Int, x: UnsafePointer<Float>, ldx: Int, n: Int,
                  u: UnsafePointer<Float>?, seed: UInt64, dx: UnsafeMutablePointer<Float>?, lddx: Int,
                  scratch: UnsafeMutablePointer<Float>) {
        // dx += dy W (the gradient flows through the frozen weight)
        if let dx {
            if let packed, let bf16Scratch {
                packed.backward.multiply(dy, rows: n, ldx: ldy, into: dx, ldy: lddx, accumulate: true, scratch: bf16Scratch)
            } else {
                BLAS.gemm(m: n, n: inFeatures, k: outFeatures, a: dy, lda: ldy, b: weight, ldb: inFeatures,
                          beta: 1, c: dx, ldc: lddx)
            }
        }
        guard let lora, let u else { return }
        let r = lora.rank
        let du = scratch + n * inFeatures  // [n, r]
        // dB += scale dy^T u
        if let gradB = lora.gradB {
            BLAS.gemm(transA: true, m: outFeatures, n: r, k: n, alpha: lora.scale, a: dy, lda: ldy,
                              b: u, ldb: r, beta: 1, c: gradB, ldc: r)
        }
        // du = scale dy B
        BLAS.gemm(m: n, n: r, k: outFeatures, alpha: lora.scale, a: dy, lda: ldy, b: lora.b, ldb: r,
                          beta: 0, c: du, ldc: r)
        // dA += du^T dropout(x)
        if let gradA = lora.gradA {
            let (xd, ldxd) = droppedInput(x: x, ldx: ldx, n: n, seed: seed, scratch: scratch)
            BLAS.gemm(transA: true, m: r, n: inFeatures, k: n, a: du, lda: r, b: xd, ldb: ldxd,
                              beta: 1, c: gradA, ldc: inFeatures)
        }
        // dx += dropout^T(du A): the same mask and 1/keep factor
        guard let dx else { return }
        if lora.dropout > 0 {
            BLAS.gemm(m: n, n: inFeatures, k: r, a: du, lda: r, b: lora.a, ldb: inFeatures,
                              beta: 0, c: scratch, ldc: inFeatures)
            DropoutMask.apply(seed: seed, probability: lora.dropout, x: scratch, rows: n, cols: inFeatures,
                              ldx: inFeatures, out: dx, ldOut: lddx, accumulate: true)
        } else {
            BLAS.gemm(m: n, n: inFeatures, k: r, a: du, lda: r, b: lora.a, ldb: inFeatures,
                              beta: 1, c: dx, ldc: lddx)
        }
    }

    /// dropout(x) in scratch `[n, in]`, or x itself without dropout.
    private func droppedInput(x: UnsafePointer<Float>, ldx: Int, n: Int, seed: UInt64,
                              scratch: UnsafeMutablePointer<Float>) -> (UnsafePointer<Float>, Int) {
        guard let lora, lora.dropout > 0 else { return (x, ldx) }
        DropoutMask.apply(seed: seed, probability: lora.dropout, x: x, rows: n, cols: inFeatures, ldx: ldx,
                            out: scratch)
        return (UnsafePointer(scratch), inFeatures)
    }
}

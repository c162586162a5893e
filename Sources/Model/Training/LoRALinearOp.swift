import CKernels

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
/// are frozen and get none, unless `weightGradient` makes W trainable. The rank-r products run in
/// C (`ck_lora_*`, AVX-512 where present)
/// split over the cores (`Parallel`), drawing the dropout mask inside their loops.
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
    /// A trainable full weight: backward adds dL/dW `[out, in]` here (nil: W frozen).
    var weightGradient: UnsafeMutablePointer<Float>? = nil

    /// Floats of scratch `backward` needs for `n` rows (`forward` needs none).
    func scratchCount(rows n: Int) -> Int { n * (lora?.rank ?? 0) }

    /// x `[n, in]` (leading dim ldx) -> y `[n, out]` (leading dim ldy; overwritten, or added to
    /// with `accumulate`, which is how a residual connection is written). Saves u `[n, r]`.
    func forward(
        x: UnsafePointer<Float>, ldx: Int, n: Int, y: UnsafeMutablePointer<Float>, ldy: Int,
        accumulate: Bool = false, u: UnsafeMutablePointer<Float>?, seed: UInt64,
        scratch: UnsafeMutablePointer<Float>
    ) {
        if let packed, let bf16Scratch {
            packed.forward.multiply(
                x, rows: n, ldx: ldx, into: y, ldy: ldy, accumulate: accumulate, scratch: bf16Scratch)
        } else {
            BLAS.gemm(
                transB: true, m: n, n: outFeatures, k: inFeatures, a: x, lda: ldx, b: weight,
                ldb: inFeatures, beta: accumulate ? 1 : 0, c: y, ldc: ldy)
        }
        if let bias {
            for i in 0..<n { let yr = y + i * ldy; for j in 0..<outFeatures { yr[j] += bias[j] } }
        }
        guard let lora, let u else { return }
        let (r, inF, outF, a, b, scale) = (lora.rank, inFeatures, outFeatures, lora.a, lora.b, lora.scale)
        let rows = Parallel.rows(n)
        withDropout(seed: seed) { drop in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: r * outF) { bt in
                let bt = bt.baseAddress!
                Parallel.transpose(b, rows: outF, cols: r, into: bt)
                // u = dropout(x) A^T, then y += scale u B^T, a range of rows per work item.
                Parallel.forEach(rows.count) { k in
                    let (i0, i1) = rows[k]
                    ck_lora_rows_dot(
                        x + i0 * ldx, Int32(ldx), Int32(i1 - i0), Int32(inF), a, Int32(inF), Int32(r), 1,
                        drop, i0, u + i0 * r, Int32(r))
                    ck_lora_rows_axpy(
                        u + i0 * r, Int32(r), Int32(i1 - i0), Int32(r), scale, bt, Int32(outF), 0,
                        Int32(outF), y + i0 * ldy, Int32(ldy))
                }
            }
        }
    }

    /// Adds dL/dx into dx (leading dim lddx; nil when nothing upstream needs it, as below the
    /// first block; with `accumulateDx` false dx is overwritten instead, so it needs no zeroing) and dL/dA, dL/dB into the factors' gradients, given dy `[n, out]` (leading
    /// dim ldy), the forward input x and the saved u.
    func backward(
        dy: UnsafePointer<Float>, ldy: Int, x: UnsafePointer<Float>, ldx: Int, n: Int,
        u: UnsafePointer<Float>?, seed: UInt64, dx: UnsafeMutablePointer<Float>?, lddx: Int,
        accumulateDx: Bool = true, scratch: UnsafeMutablePointer<Float>
    ) {
        // dx += dy W (the gradient flows through the frozen weight); dx = dy W without accumulateDx.
        if let dx {
            if let packed, let bf16Scratch {
                packed.backward.multiply(
                    dy, rows: n, ldx: ldy, into: dx, ldy: lddx, accumulate: accumulateDx,
                    scratch: bf16Scratch)
            } else {
                BLAS.gemm(
                    m: n, n: inFeatures, k: outFeatures, a: dy, lda: ldy, b: weight, ldb: inFeatures,
                    beta: accumulateDx ? 1 : 0, c: dx, ldc: lddx)
            }
        }
        // dW += dy^T x (float32: the gradient of a trainable full weight).
        if let weightGradient {
            BLAS.gemm(
                transA: true, m: outFeatures, n: inFeatures, k: n, a: dy, lda: ldy, b: x, ldb: ldx, beta: 1,
                c: weightGradient, ldc: inFeatures)
        }
        guard let lora, let u else { return }
        let (r, inF, outF, a, b, scale) = (lora.rank, inFeatures, outFeatures, lora.a, lora.b, lora.scale)
        let (gradA, gradB) = (lora.gradA, lora.gradB)
        let du = scratch  // [n, r]
        let rows = Parallel.rows(n), outColumns = gradB == nil ? [] : Parallel.columns(outF)
        withDropout(seed: seed) { drop in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * r * outF) { tmp in
                let bt = tmp.baseAddress!, gbt = bt + r * outF  // B^T and the B gradient transposed, [r, out]
                Parallel.transpose(b, rows: outF, cols: r, into: bt)
                // du = scale dy B by rows; dB += scale dy^T u by columns of dB^T.
                Parallel.forEach(rows.count + outColumns.count) { k in
                    if k < rows.count {
                        let (i0, i1) = rows[k]
                        ck_lora_rows_dot(
                            dy + i0 * ldy, Int32(ldy), Int32(i1 - i0), Int32(outF), bt, Int32(outF),
                            Int32(r), scale, nil, 0, du + i0 * r, Int32(r))
                    } else if let gradB {
                        let (c0, c1) = outColumns[k - rows.count]
                        for j in 0..<r { (gbt + j * outF + c0).update(repeating: 0, count: c1 - c0) }
                        ck_lora_outer(
                            u, Int32(r), Int32(n), Int32(r), scale, dy, Int32(ldy), Int32(c0), Int32(c1), gbt,
                            Int32(outF))
                        for o in c0..<c1 { for j in 0..<r { gradB[o * r + j] += gbt[j * outF + o] } }
                    }
                }
                // dA += du^T dropout(x) and dx += dropout^T(du A) (the same mask), by columns of x.
                guard gradA != nil || dx != nil else { return }
                let inColumns = Parallel.columns(inF)
                Parallel.forEach(inColumns.count) { k in
                    let (c0, c1) = inColumns[k]
                    ck_lora_down_backward(
                        x, Int32(ldx), Int32(n), a, Int32(inF), Int32(r), du, Int32(r), drop, 0,
                        Int32(c0), Int32(c1), gradA, dx, Int32(lddx))
                }
            }
        }
    }

    /// Calls `body` with this op's dropout mask for `seed` (nil without dropout).
    private func withDropout<R>(seed: UInt64, _ body: (UnsafePointer<ck_dropout>?) -> R) -> R {
        guard let lora, lora.dropout > 0 else { return body(nil) }
        var d = ck_dropout(
            seed: seed, threshold: DropoutMask.threshold(lora.dropout),
            keep_scale: DropoutMask.keepScale(lora.dropout), cols: Int32(inFeatures))
        return withUnsafePointer(to: &d) { body($0) }
    }
}

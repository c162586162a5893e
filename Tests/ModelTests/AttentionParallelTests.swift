import Testing
@testable import Model

/// Attention with heads spread over the cores (what a bf16 `fedhds train` runs, OpenBLAS being
/// single-threaded there) against the sequential op the gradient checks pin: forward output,
/// log-sum-exp and every input gradient, with grouped-query heads (two query heads per key/value
/// head, whose dK and dV are summed in their own buffers) over two sequences longer than a block.
struct AttentionParallelTests {
    @Test func headsOverTheCoresMatchSequential() {
        var rng = TrainingTestRNG(seed: 11)
        let (batch, T, heads, kvHeads, hd) = (2, 70, 4, 2, 8)
        let ld = (heads + 2 * kvHeads) * hd
        let op = CausalAttentionOp(
            batch: batch, seqLen: T, heads: heads, kvHeads: kvHeads, headDim: hd, ld: ld,
            qOffset: 0, kOffset: heads * hd, vOffset: (heads + kvHeads) * hd)
        let n = batch * T
        let qkv = TrainingBuffer(rng.floats(n * ld)), dOut = TrainingBuffer(rng.floats(n * heads * hd))
        let prefill = rng.floats(n * ld)  // backward adds into dqkv
        var results: [[Float]] = []
        for parallel in [false, true] {
            let out = TrainingBuffer(n * heads * hd), lse = TrainingBuffer(op.lseCount)
            let scratch = TrainingBuffer(2 * op.scratchCount), dqkv = TrainingBuffer(prefill)
            op.forward(qkv: qkv.p, out: out.p, lse: lse.p, scratch: scratch.p, parallel: parallel)
            op.backward(dOut: dOut.p, qkv: qkv.p, lse: lse.p, dqkv: dqkv.p, scratch: scratch.p, parallel: parallel)
            results.append(out.array + lse.array + dqkv.array)
        }
        let worst = zip(results[0], results[1]).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0
        #expect(worst < 1e-5, "parallel heads differ from sequential by \(worst)")
        #expect(results[0].allSatisfy { $0.isFinite })
        print("AttentionParallel: max relative difference \(worst)")
    }
}

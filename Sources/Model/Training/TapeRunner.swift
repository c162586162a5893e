/// The tape runner's side of `TransformerBlock` (`TransformerPass`): a padded batch of sequences of
/// `seqLen` rows each, one `LayerTape` per block kept for the backward (one reused by every block
/// when no gradient is wanted), linears as `LoRALinearOp` (whose backward adds the adapter's
/// gradient), attention causal within each sequence (`CausalAttentionOp` over the tape's fused
/// `q | k | v` row).
struct TapeRunner: BlockBackwardRunner {
    let pass: TransformerPass
    let tapes: [LayerTape]
    let rotary: RotaryOp?
    let attention: CausalAttentionOp
    /// Scratch of the linears and the attention (`TransformerPass` sizes it).
    let scratch: UnsafeMutablePointer<Float>

    /// The tape of block `layer`.
    func tape(_ layer: Int) -> LayerTape { tapes[min(layer, tapes.count - 1)] }

    func linear(
        layer: Int, _ p: Projection, x: UnsafePointer<Float>, ldx: Int, rows: Int,
        into y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool, sameInputAsPrevious: Bool
    ) {
        pass.linear(layer, p).forward(
            x: x, ldx: ldx, n: rows, y: y, ldy: ldy, accumulate: accumulate,
            u: tape(layer).u[p]?.p, seed: pass.seed(layer, p), scratch: scratch)
    }

    func attend(layer: Int, q: Rows, k: Rows, v: Rows, into out: UnsafeMutablePointer<Float>) {
        // q, k and v are columns of the tape's fused row, q first (the op's offsets).
        attention.forward(
            qkv: q.pointer, out: out, lse: tape(layer).lse.p, scratch: scratch,
            parallel: pass.parallelHeads)
    }

    func linearBackward(
        layer: Int, _ p: Projection, dy: UnsafePointer<Float>, ldy: Int, x: UnsafePointer<Float>,
        ldx: Int, rows: Int, dx: UnsafeMutablePointer<Float>?, lddx: Int, accumulateDx: Bool
    ) {
        pass.linear(layer, p).backward(
            dy: dy, ldy: ldy, x: x, ldx: ldx, n: rows, u: tape(layer).u[p]?.p,
            seed: pass.seed(layer, p), dx: dx, lddx: lddx, accumulateDx: accumulateDx,
            scratch: scratch)
    }

    func attendBackward(layer: Int, dOut: UnsafePointer<Float>, dq: Rows, dk: Rows, dv: Rows) {
        // dq, dk, dv are columns of one fused gradient row laid out as the tape's; the op adds into it.
        dq.pointer.update(repeating: 0, count: attention.batch * attention.seqLen * attention.ld)
        attention.backward(
            dOut: dOut, qkv: tape(layer).qkv.p, lse: tape(layer).lse.p, dqkv: dq.pointer,
            scratch: scratch, parallel: pass.parallelHeads)
    }
}

/// The transformer block of every architecture, stated once as its definition describes it
/// (`ArchitectureDefinition`), forward and backward side by side. Runners drive it block by block
/// (`BlockRunner`: the KV-cache runner `Decoder`, the tape runner `TransformerPass`); it asks no
/// runner which architecture runs, and no runner asks it.
///
/// Shapes: n rows, d the model width, H and KV the query and key/value heads of size hd, ff the MLP
/// width. The pieces are forward/backward op pairs (`Ops/`): the norm and the activation of the
/// definition, the rotary embedding; the linears and the attention are the runner's.
enum TransformerBlock {
    /// x = E[tokens] (+ P[positions] with learned positions) `[n, d]`, the first block's input;
    /// `positions[t]` is row t's position in its sequence.
    static func embed(
        _ tokens: [Int], positions: [Int], config c: ModelConfig, weights w: WeightPointers,
        into x: UnsafeMutablePointer<Float>
    ) {
        EmbeddingOp.forward(
            tokens: tokens, table: w.tokenEmbedding, d: c.hiddenSize, y: x,
            positions: c.definition.positions == .learned ? positions : nil,
            positionTable: w.positionEmbedding)
    }

    /// The rotary table of rows at `positions` (table row t for row t), nil with learned positions.
    static func rotary(positions: [Int], config c: ModelConfig) -> RotaryOp? {
        c.definition.positions == .rotary ? RotaryOp(headDim: c.headDim, theta: c.ropeTheta, positions: positions) : nil
    }

    /// Block `layer` over the residual stream `x` `[n, d]`, updated in place:
    ///
    ///     a   = norm(x)                                 activations.attentionNormed (input: x)
    ///     qkv = a · [W_p]^T, p in attentionInputs       activations.attentionInputs
    ///     q,k = rope(q, k)                              rotary positions only
    ///     o   = attend(q, k, v)                         activations.attention, [n, H*hd]
    ///     x  += o · W_attentionOutput^T                 (middle: x)
    ///     m   = norm(x)                                 activations.mlpNormed
    ///     f_p = m · W_p^T, p in mlpInputs               activations.mlpInputs, [n, ff] each
    ///     g   = activation(f)                           activations.activation
    ///     x  += g · W_mlpOutput^T
    static func forward<R: BlockRunner>(
        layer l: Int, config c: ModelConfig, weights w: WeightPointers.LayerPointers,
        x: UnsafeMutablePointer<Float>, rows n: Int, activations s: BlockActivations,
        runner: R
    ) {
        let arch = c.definition, d = c.hiddenSize, ff = c.intermediateSize, qDim = c.headCount * c.headDim
        // Attention half.
        s.input?.update(from: x, count: n * d)
        arch.norm.forward(
            x: x, weights: w.attentionNorm, eps: c.normEpsilon, rows: n, d: d, into: s.attentionNormed,
            statistics: s.attentionStatistics)
        for (i, p) in arch.attentionInputs.enumerated() {
            let y = s.attentionInputs[i]
            runner.linear(
                layer: l, p, x: s.attentionNormed, ldx: d, rows: n, into: y.pointer, ldy: y.stride,
                accumulate: false, sameInputAsPrevious: i > 0)
        }
        let (q, k, v) = queryKeyValue(s.attentionInputs, config: c)
        if let rotary = runner.rotary { rotate(q, k, rows: n, rotary, config: c, inverse: false) }
        runner.attend(layer: l, q: q, k: k, v: v, into: s.attention)
        runner.linear(
            layer: l, arch.attentionOutput, x: s.attention, ldx: qDim, rows: n, into: x, ldy: d,
            accumulate: true, sameInputAsPrevious: false)
        // MLP half.
        s.middle?.update(from: x, count: n * d)
        arch.norm.forward(
            x: x, weights: w.mlpNorm, eps: c.normEpsilon, rows: n, d: d, into: s.mlpNormed,
            statistics: s.mlpStatistics)
        for (i, p) in arch.mlpInputs.enumerated() {
            runner.linear(
                layer: l, p, x: s.mlpNormed, ldx: d, rows: n, into: s.mlpInputs[i], ldy: ff,
                accumulate: false, sameInputAsPrevious: i > 0)
        }
        arch.activation.forward(s.mlpInputs, into: s.activation, count: n * ff)
        runner.linear(
            layer: l, arch.mlpOutput, x: s.activation, ldx: ff, rows: n, into: x, ldy: d,
            accumulate: true, sameInputAsPrevious: false)
    }

    /// The backward of `forward`: given dL/d(block output) in `dx` `[n, d]`, leaves dL/d(block input)
    /// there (the residual carries dx through; each half's norm backward adds its part) and lets
    /// the runner add the gradients of what it trains. `saved` is what the forward kept (`input`
    /// and `middle` included); `gradients` is scratch for this block's activation gradients. Without
    /// `inputGradient` the block stops after the attention inputs' own gradients (nothing below
    /// the first block is trainable unless the runner says so) and `dx` is left unfinished.
    static func backward<R: BlockBackwardRunner>(
        layer l: Int, config c: ModelConfig,
        weights w: WeightPointers.LayerPointers,
        dx: UnsafeMutablePointer<Float>, rows n: Int,
        saved s: BlockActivations, gradients g: BlockGradients,
        inputGradient: Bool, runner: R
    ) {
        let arch = c.definition, d = c.hiddenSize, ff = c.intermediateSize, qDim = c.headCount * c.headDim
        // MLP half: x_out = middle + g(f(norm(middle))) W_mlpOutput^T.
        runner.linearBackward(
            layer: l, arch.mlpOutput, dy: dx, ldy: d, x: s.activation, ldx: ff, rows: n,
            dx: g.activation, lddx: ff, accumulateDx: false)
        arch.activation.backward(dy: g.activation, inputs: s.mlpInputs, into: g.mlpInputs, count: n * ff)
        for (i, p) in arch.mlpInputs.enumerated() {
            runner.linearBackward(
                layer: l, p, dy: g.mlpInputs[i], ldy: ff, x: s.mlpNormed, ldx: d, rows: n,
                dx: g.mlpNormed, lddx: d, accumulateDx: i > 0)
        }
        arch.norm.backward(
            dy: g.mlpNormed, x: s.middle!, weights: w.mlpNorm, statistics: s.mlpStatistics, rows: n,
            d: d, dx: dx)
        // Attention half: middle = input + attend(rope(norm(input) W^T)) W_attentionOutput^T.
        runner.linearBackward(
            layer: l, arch.attentionOutput, dy: dx, ldy: d, x: s.attention, ldx: qDim, rows: n,
            dx: g.attention, lddx: qDim, accumulateDx: false)
        let (dq, dk, dv) = queryKeyValue(g.attentionInputs, config: c)
        runner.attendBackward(layer: l, dOut: g.attention, dq: dq, dk: dk, dv: dv)
        if let rotary = runner.rotary { rotate(dq, dk, rows: n, rotary, config: c, inverse: true) }
        for (i, p) in arch.attentionInputs.enumerated() {
            let dy = g.attentionInputs[i]
            runner.linearBackward(
                layer: l, p, dy: dy.pointer, ldy: dy.stride, x: s.attentionNormed, ldx: d, rows: n,
                dx: inputGradient ? g.attentionNormed : nil, lddx: d, accumulateDx: i > 0)
        }
        if inputGradient {
            arch.norm.backward(
                dy: g.attentionNormed, x: s.input!, weights: w.attentionNorm,
                statistics: s.attentionStatistics, rows: n, d: d, dx: dx)
        }
    }

    /// q, k and v inside the attention inputs' outputs: the columns `0`, `H*hd` and `H*hd + KV*hd`
    /// of the `q | k | v` row, whichever projection writes them.
    static func queryKeyValue(_ parts: [Rows], config c: ModelConfig) -> (q: Rows, k: Rows, v: Rows) {
        let columns = c.definition.attentionColumns(c)
        func at(_ column: Int) -> Rows {
            let i = columns.lastIndex { $0.offset <= column }!
            return parts[i].dropping(columns: column - columns[i].offset)
        }
        let qDim = c.headCount * c.headDim, kvDim = c.kvHeadCount * c.headDim
        return (at(0), at(qDim), at(qDim + kvDim))
    }

    /// Rotates the heads of q and k of every row by its table row (by minus the angle with `inverse`,
    /// the backward).
    private static func rotate(
        _ q: Rows, _ k: Rows, rows n: Int, _ rotary: RotaryOp, config c: ModelConfig,
        inverse: Bool
    ) {
        for t in 0..<n {
            rotary.apply(row: q.pointer + t * q.stride, tableRow: t, heads: c.headCount, inverse: inverse)
            rotary.apply(row: k.pointer + t * k.stride, tableRow: t, heads: c.kvHeadCount, inverse: inverse)
        }
    }
}

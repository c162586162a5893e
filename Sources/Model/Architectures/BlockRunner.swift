/// The runner's side of a transformer block (`TransformerBlock`): how its linears run and how its
/// attention reads keys and values. The block states the math once; a runner supplies
///
/// - where the activations go (`BlockActivations`: the tape runner keeps one set per block for
///   its backward, the KV-cache runner reuses one workspace for every block),
/// - the linears (`LoRALinearOp` with or without a gradient, or the inference kernels: compact,
///   bfloat16 or float32, with an unmerged adapter),
/// - the attention (causal within the batch, or over a KV cache of earlier steps),
/// - the rotary table of its rows' positions.
///
/// Two runners implement it: `CacheRunner` (`Decoder`) and `TapeRunner` (`TransformerPass`,
/// which also runs the block backward). A soft prompt or a trainable full weight is a property of
/// a runner (docs/adding-a-model.md), not another block.
protocol BlockRunner {
    /// The rotary cos / sin of every row's position (table row r for row r), nil with learned
    /// positions.
    var rotary: RotaryOp? { get }

    /// `y = x W_p^T (+ b) (+ the adapter's branch)` of block `layer`, or `y +=` with `accumulate`
    /// (a residual connection). `x` `[rows, in]` (leading dimension `ldx`), `y` `[rows, out]`
    /// (`ldy`). `sameInputAsPrevious`: the previous linear of this block read the same `x` (q, k, v
    /// read one normed row; so do gate and up), so a runner may reuse its conversion of `x`.
    func linear(
        layer: Int, _ p: Projection, x: UnsafePointer<Float>, ldx: Int, rows: Int,
        into y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool, sameInputAsPrevious: Bool)

    /// Causal grouped-query attention of block `layer` (rotary already applied to q and k): query
    /// head h reads key/value head h / (heads / kvHeads). Writes `out` `[rows, heads * hd]`.
    func attend(layer: Int, q: Rows, k: Rows, v: Rows, into out: UnsafeMutablePointer<Float>)
}

/// A runner that also runs the block backward (the tape runner).
protocol BlockBackwardRunner: BlockRunner {
    /// Given dy of `linear(layer:p...)`, writes dL/dx into `dx` (or adds with `accumulateDx`; nil
    /// when nothing below needs it) and adds the gradients of whatever the runner trains.
    /// `x` is the forward's input.
    func linearBackward(
        layer: Int, _ p: Projection, dy: UnsafePointer<Float>, ldy: Int, x: UnsafePointer<Float>,
        ldx: Int, rows: Int, dx: UnsafeMutablePointer<Float>?, lddx: Int, accumulateDx: Bool)

    /// Given dL/d(attention output) `dOut` `[rows, heads * hd]`, writes dL/dq, dL/dk, dL/dv (after
    /// rotary: the block rotates them back).
    func attendBackward(layer: Int, dOut: UnsafePointer<Float>, dq: Rows, dk: Rows, dv: Rows)
}

/// Rows of a matrix inside a larger buffer: column 0 of row 0 at `pointer`, rows `stride` floats apart.
struct Rows {
    let pointer: UnsafeMutablePointer<Float>
    let stride: Int

    /// The same rows from column `columns` on.
    func dropping(columns: Int) -> Rows { Rows(pointer: pointer + columns, stride: stride) }
}

/// The statistics a norm's backward needs: mean (LayerNorm only) and 1/std per row; nil pointers
/// when nothing is kept.
struct NormStatistics {
    var mean: UnsafeMutablePointer<Float>? = nil
    var rstd: UnsafeMutablePointer<Float>? = nil
}

/// Where one block's activations go (`rows` rows, `d` the model width, `ff` the MLP width). The
/// tape runner gives one set per block and keeps them for the backward; the KV-cache runner gives
/// one workspace to every block (the two normed inputs may share a buffer, the activation may be
/// written over the first MLP input).
struct BlockActivations {
    /// Copies of the block's input and of the residual after attention (nil: not kept), `[rows, d]`.
    var input: UnsafeMutablePointer<Float>? = nil
    var middle: UnsafeMutablePointer<Float>? = nil
    /// The attention norm's output `[rows, d]` and its statistics.
    var attentionNormed: UnsafeMutablePointer<Float>
    var attentionStatistics = NormStatistics()
    /// Per projection of `attentionInputs`, where its output columns go.
    var attentionInputs: [Rows]
    /// The attention's output `[rows, heads * hd]`.
    var attention: UnsafeMutablePointer<Float>
    /// The MLP norm's output `[rows, d]` and its statistics.
    var mlpNormed: UnsafeMutablePointer<Float>
    var mlpStatistics = NormStatistics()
    /// Per projection of `mlpInputs`, its output `[rows, ff]`.
    var mlpInputs: [UnsafeMutablePointer<Float>]
    /// The activation's output `[rows, ff]`, the MLP output projection's input.
    var activation: UnsafeMutablePointer<Float>
}

/// The gradients of one block's activations in the backward, laid out as `BlockActivations`.
/// Every buffer is written (not added to) by its first writer, so none needs zeroing.
struct BlockGradients {
    var attentionNormed: UnsafeMutablePointer<Float>
    var attentionInputs: [Rows]
    var attention: UnsafeMutablePointer<Float>
    var mlpNormed: UnsafeMutablePointer<Float>
    var mlpInputs: [UnsafeMutablePointer<Float>]
    var activation: UnsafeMutablePointer<Float>
}

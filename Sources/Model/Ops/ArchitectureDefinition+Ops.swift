/// The one switch over each block piece of a definition: the runners and `TransformerBlock` call
/// these, so a new norm or activation is a new case here and its op pair next to the others.
extension ArchitectureDefinition.Norm {
    /// x `[rows, d]` -> y `[rows, d]` with this norm's weights; keeps the statistics the backward
    /// needs where `statistics` points (mean: LayerNorm only).
    func forward(
        x: UnsafePointer<Float>, weights w: WeightPointers.NormPointers, eps: Float, rows: Int, d: Int,
        into y: UnsafeMutablePointer<Float>, statistics s: NormStatistics = NormStatistics()
    ) {
        switch self {
        case .layer:
            LayerNormOp.forward(
                x: x, weight: w.weight, bias: w.bias!, eps: eps, n: rows, d: d, y: y, mean: s.mean,
                rstd: s.rstd)
        case .rms:
            RMSNormOp.forward(x: x, weight: w.weight, eps: eps, n: rows, d: d, y: y, rstd: s.rstd)
        }
    }

    /// Adds dL/dx into dx `[rows, d]` given dy and the forward's input and statistics (the weights
    /// are frozen).
    func backward(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weights w: WeightPointers.NormPointers,
        statistics s: NormStatistics, rows: Int, d: Int, dx: UnsafeMutablePointer<Float>
    ) {
        switch self {
        case .layer:
            LayerNormOp.backward(dy: dy, x: x, weight: w.weight, mean: s.mean!, rstd: s.rstd!, n: rows, d: d, dx: dx)
        case .rms:
            RMSNormOp.backward(dy: dy, x: x, weight: w.weight, rstd: s.rstd!, n: rows, d: d, dx: dx)
        }
    }
}

extension ArchitectureDefinition.Activation {
    /// The MLP's inputs (`[count]` each, in `mlpInputs` order) -> y `[count]`. y may be the first
    /// input (the KV-cache runner's workspace): then the op's in-place kernel runs.
    func forward(_ inputs: [UnsafeMutablePointer<Float>], into y: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .swiGLU where y == inputs[0]: SwiGLUOp.forwardInPlace(gate: y, up: inputs[1], count: count)
        case .swiGLU: SwiGLUOp.forward(gate: inputs[0], up: inputs[1], act: y, count: count)
        case .geluTanh: GELUOp.forward(x: inputs[0], y: y, count: count)
        }
    }

    /// Writes dL/d(input) of every input into `dInputs` given dy and the forward's inputs.
    func backward(
        dy: UnsafePointer<Float>, inputs: [UnsafeMutablePointer<Float>],
        into dInputs: [UnsafeMutablePointer<Float>], count: Int
    ) {
        switch self {
        case .swiGLU:
            SwiGLUOp.backward(
                dAct: dy, gate: inputs[0], up: inputs[1], dGate: dInputs[0], dUp: dInputs[1],
                count: count, accumulate: false)
        case .geluTanh:
            GELUOp.backward(dy: dy, x: inputs[0], dx: dInputs[0], count: count, accumulate: false)
        }
    }
}

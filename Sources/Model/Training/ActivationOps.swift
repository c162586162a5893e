import Foundation

/// SwiGLU of the LLaMA MLP: `act = silu(gate) * up`, silu(g) = g * sigmoid(g).
enum SwiGLUOp {
    /// gate, up `[count]` -> act `[count]`, split over the cores in large ranges.
    static func forward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, act: UnsafeMutablePointer<Float>,
                        count: Int) {
        Parallel.run(count) { start, end in
            for i in start..<end {
                let g = gate[i]
                act[i] = g / (1 + VectorMath.exp(-g)) * up[i]
            }
        }
    }

    /// Adds into dGate and dUp `[count]` given dAct (or, with `accumulate` false, writes them).
    /// d silu(g)/dg = s * (1 + g * (1 - s)), s = sigmoid(g). Split over the cores in large ranges.
    static func backward(dAct: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                         dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count: Int,
                         accumulate: Bool = true) {
        Parallel.run(count) { start, end in
            if accumulate {
                for i in start..<end {
                    let g = gate[i], s = 1 / (1 + VectorMath.exp(-g))
                    dUp[i] += dAct[i] * g * s
                    dGate[i] += dAct[i] * up[i] * s * (1 + g * (1 - s))
                }
            } else {
                for i in start..<end {
                    let g = gate[i], s = 1 / (1 + VectorMath.exp(-g))
                    dUp[i] = dAct[i] * g * s
                    dGate[i] = dAct[i] * up[i] * s * (1 + g * (1 - s))
                }
            }
        }
    }
}

/// GELU with the tanh approximation (GPT-2's `gelu_new`):
/// `0.5 x (1 + tanh(c (x + 0.044715 x^3)))`, c = sqrt(2/pi).
enum GELUOp {
    static let c: Float = 0.7978845608028654

    /// x `[count]` -> y `[count]`.
    static func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = x[i]
            y[i] = 0.5 * v * (1 + tanhf(c * (v + 0.044715 * v * v * v)))
        }
    }

    /// Adds dL/dx into dx `[count]`.
    static func backward(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                         count: Int) {
        for i in 0..<count {
            let v = x[i]
            let t = tanhf(c * (v + 0.044715 * v * v * v))
            let dt = (1 - t * t) * c * (1 + 3 * 0.044715 * v * v)
            dx[i] += dy[i] * (0.5 * (1 + t) + 0.5 * v * dt)
        }
    }
}

/// Token (and GPT-2 position) embedding lookup. The tables are frozen, so training never calls
/// `backward`; it exists to state (and test) where the gradient would go.
enum EmbeddingOp {
    /// tokens `[n]`, table `[V, d]` -> y `[n, d]` (overwritten). With `positions` (`[n]`) and a
    /// position table `[P, d]`, adds the position rows.
    static func forward(tokens: [Int], table: UnsafePointer<Float>, d: Int, y: UnsafeMutablePointer<Float>,
                        positions: [Int]? = nil, positionTable: UnsafePointer<Float>? = nil) {
        for (i, t) in tokens.enumerated() {
            (y + i * d).update(from: table + t * d, count: d)
            if let positions, let positionTable {
                let pr = positionTable + positions[i] * d, yr = y + i * d
                for j in 0..<d { yr[j] += pr[j] }
            }
        }
    }

    /// Scatter-adds dy `[n, d]` into a table gradient `[V, d]`.
    static func backward(tokens: [Int], dy: UnsafePointer<Float>, d: Int, dTable: UnsafeMutablePointer<Float>) {
        for (i, t) in tokens.enumerated() {
            let g = dTable + t * d, dyr = dy + i * d
            for j in 0..<d { g[j] += dyr[j] }
        }
    }
}

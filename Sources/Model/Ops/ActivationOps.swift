import CKernels
import Foundation

/// SwiGLU of the LLaMA MLP: `act = silu(gate) * up`, silu(g) = g * sigmoid(g), in both runners. The
/// exp is `VectorMath.exp`, a branch-free polynomial the compiler vectorises; written in place (the
/// KV-cache runner, which keeps nothing for a backward) the fast kernel behind it runs.
enum SwiGLUOp {
    /// gate, up `[count]` -> act `[count]`, split over the cores in large ranges.
    static func forward(
        gate: UnsafePointer<Float>, up: UnsafePointer<Float>, act: UnsafeMutablePointer<Float>,
        count: Int
    ) {
        Parallel.run(count) { start, end in
            for i in start..<end {
                let g = gate[i]
                act[i] = g / (1 + VectorMath.exp(-g)) * up[i]
            }
        }
    }

    /// `forward` written over `gate`: where the CPU has AVX2 + FMA the C kernel `ck_silu_mul` (the
    /// same function with its own vectorised exp, within 1e-6 relative of `forward`), else `forward`.
    static func forwardInPlace(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        if Kernels.hasAVX2FMA {
            ck_silu_mul(gate, up, count)
        } else {
            forward(gate: gate, up: up, act: gate, count: count)
        }
    }

    /// Adds into dGate and dUp `[count]` given dAct (or, with `accumulate` false, writes them).
    /// d silu(g)/dg = s * (1 + g * (1 - s)), s = sigmoid(g). Split over the cores in large ranges.
    static func backward(
        dAct: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
        dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count: Int,
        accumulate: Bool = true
    ) {
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

/// GELU with the tanh approximation (GPT-2's `gelu_new`), in both runners (`y` may be `x`):
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

    /// Adds dL/dx into dx `[count]` (or, with `accumulate` false, writes it).
    static func backward(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
        count: Int, accumulate: Bool = true
    ) {
        for i in 0..<count {
            let v = x[i]
            let t = tanhf(c * (v + 0.044715 * v * v * v))
            let dt = (1 - t * t) * c * (1 + 3 * 0.044715 * v * v)
            let g = dy[i] * (0.5 * (1 + t) + 0.5 * v * dt)
            if accumulate { dx[i] += g } else { dx[i] = g }
        }
    }
}

import CKernels
import Foundation

/// Softmax over a row of scores, the one of both runners' attention: `p = exp(s - max) / sum`, with
/// `VectorMath.exp` (a branch-free polynomial the compiler vectorises), keeping the log-sum-exp
/// the training attention's backward recomputes the probabilities from. Callers that keep none
/// (the KV-cache runner) call `apply`, the fast kernel behind it; the row kernel `ck_attend_rows`
/// has the same C softmax inside, and its Swift reference (`Decoder.attendRowsPlain`) calls `forward`.
enum SoftmaxOp {
    /// x `[count]` -> softmax(x) in place; returns the log-sum-exp `max + log(sum exp(x - max))`,
    /// from which `recompute` rebuilds the probabilities.
    @discardableResult
    static func forward(_ x: UnsafeMutablePointer<Float>, count: Int) -> Float {
        let m = VectorMath.maximum(x, count: count)
        let s = VectorMath.expInPlace(x, count: count, shift: m)
        VectorMath.scale(x, count: count, by: 1 / s)
        return m + logf(s)
    }

    /// softmax(x) in place without the log-sum-exp: where the CPU has AVX2 + FMA the C kernel
    /// `ck_softmax` (its own vectorised exp, within 1e-6 of `forward`), else `forward`.
    @inline(__always)
    static func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        if Kernels.hasAVX2FMA { ck_softmax(x, Int32(count)) } else { forward(x, count: count) }
    }

    /// The scores x `[count]` -> softmax(x) in place, given their log-sum-exp from `forward`.
    static func recompute(_ x: UnsafeMutablePointer<Float>, count: Int, logSumExp: Float) {
        _ = VectorMath.expInPlace(x, count: count, shift: logSumExp)
    }

    /// dL/dp `[count]` -> dL/dx in place, given the probabilities p: `dx = p * (dp - sum(p * dp))`.
    static func backward(p: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>, count: Int) {
        let dot = VectorMath.dot(p, dp, count: count)
        for j in 0..<count { dp[j] = p[j] * (dp[j] - dot) }
    }
}

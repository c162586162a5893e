import Foundation

/// Rotary position embedding in Hugging Face LLaMA's "rotate half" layout: within each head the
/// pair (i, i + hd/2) is rotated by pos * theta^(-2i/hd). Applied in place to head blocks of a row.
struct RotaryOp {
    let headDim: Int
    /// cos and sin `[positions, hd/2]`.
    private let cosTable: [Float]
    private let sinTable: [Float]

    init(headDim: Int, positions: Int, theta: Float) {
        self.headDim = headDim
        let half = headDim / 2
        var c = [Float](repeating: 0, count: positions * half), s = c
        for i in 0..<half {
            // As transformers computes it in float32: inv_freq = 1 / base^(2i/hd), angle = pos * inv_freq.
            let invFreq = 1 / powf(theta, Float(2 * i) / Float(headDim))
            for p in 0..<positions {
                let angle = Float(p) * invFreq
                c[p * half + i] = cosf(angle)
                s[p * half + i] = sinf(angle)
            }
        }
        cosTable = c
        sinTable = s
    }

    /// Rotates `heads` consecutive heads starting at `x` in each of `n` rows (leading dimension
    /// `ld`); row r has position `r % seqLen`. `inverse` rotates by -angle: that is the backward
    /// (the transpose of a rotation), applied in place to the gradient.
    func apply(_ x: UnsafeMutablePointer<Float>, ld: Int, n: Int, seqLen: Int, heads: Int, inverse: Bool = false) {
        let half = headDim / 2
        let sign: Float = inverse ? -1 : 1
        cosTable.withUnsafeBufferPointer { cp in
            sinTable.withUnsafeBufferPointer { sp in
                for r in 0..<n {
                    let pos = r % seqLen
                    let c = cp.baseAddress! + pos * half, s = sp.baseAddress! + pos * half
                    for h in 0..<heads {
                        let v = x + r * ld + h * headDim
                        for i in 0..<half {
                            let x1 = v[i], x2 = v[i + half], si = sign * s[i]
                            v[i] = x1 * c[i] - x2 * si
                            v[i + half] = x2 * c[i] + x1 * si
                        }
                    }
                }
            }
        }
    }
}

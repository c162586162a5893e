import Foundation

/// Rotary position embedding in Hugging Face LLaMA's "rotate half" layout, the positions of the
/// LLaMA family in both runners: within each head the pair (i, i + hd/2) is rotated by
/// `pos * theta^(-2i/hd)`. Forward rotates by the angle, backward (the transpose of a rotation) by
/// minus the angle; both in place, on head blocks of a row.
struct RotaryOp {
    let headDim: Int
    /// cos and sin `[rows of the table, hd/2]`: one table row per position asked for.
    private let cosTable: [Float]
    private let sinTable: [Float]

    /// The table of `positions` (one row each, in order). The inverse frequencies are
    /// `1 / theta^(2i/hd)` rounded to float32 and the angle `pos * inv_freq` in float32, as
    /// transformers computes them; cos and sin of that angle are rounded from double precision.
    init(headDim: Int, theta: Float, positions: [Int]) {
        self.headDim = headDim
        let half = headDim / 2
        let inverseFrequencies = (0..<half).map { i in
            1 / Float(pow(Double(theta), Double(Float(2 * i) / Float(headDim))))
        }
        var c = [Float](repeating: 0, count: positions.count * half), s = c
        for (row, pos) in positions.enumerated() {
            for i in 0..<half {
                let angle = Double(Float(pos) * inverseFrequencies[i])
                c[row * half + i] = Float(Foundation.cos(angle))
                s[row * half + i] = Float(Foundation.sin(angle))
            }
        }
        cosTable = c
        sinTable = s
    }

    /// The table of positions `0 ..< positions`.
    init(headDim: Int, positions: Int, theta: Float) {
        self.init(headDim: headDim, theta: theta, positions: Array(0..<positions))
    }

    /// Rotates `heads` consecutive heads starting at `x` in each of `n` rows (leading dimension
    /// `ld`); row r takes table row `r % seqLen`. `inverse` rotates by -angle: the backward,
    /// applied in place to the gradient.
    func apply(_ x: UnsafeMutablePointer<Float>, ld: Int, n: Int, seqLen: Int, heads: Int, inverse: Bool = false) {
        for r in 0..<n { apply(row: x + r * ld, tableRow: r % seqLen, heads: heads, inverse: inverse) }
    }

    /// Rotates `heads` consecutive heads of one row by the angles of table row `tableRow`.
    func apply(row: UnsafeMutablePointer<Float>, tableRow: Int, heads: Int, inverse: Bool = false) {
        let half = headDim / 2
        cosTable.withUnsafeBufferPointer { cp in
            sinTable.withUnsafeBufferPointer { sp in
                RotaryOp.rotate(
                    row, heads: heads, headDim: headDim, cos: cp.baseAddress! + tableRow * half,
                    sin: sp.baseAddress! + tableRow * half, sign: inverse ? -1 : 1)
            }
        }
    }

    /// The kernel: pairs `(i, i + hd/2)` of each of `heads` heads of size `hd` turn by the angle whose
    /// cos / sin are `cos[i]`, `sign * sin[i]`.
    @inline(__always)
    static func rotate(
        _ row: UnsafeMutablePointer<Float>, heads: Int, headDim hd: Int,
        cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, sign: Float = 1
    ) {
        let half = hd / 2
        let vsign = Kernels.V8(repeating: sign)
        for h in 0..<heads {
            let a = row + h * hd, b = a + half
            var i = 0
            while i + 8 <= half {
                let x1 = Kernels.load(UnsafePointer(a), i), x2 = Kernels.load(UnsafePointer(b), i)
                let c = Kernels.load(cos, i), s = Kernels.load(sin, i) * vsign
                Kernels.store(x1 * c - x2 * s, a, i)
                Kernels.store(x2 * c + x1 * s, b, i)
                i += 8
            }
            while i < half {
                let x1 = a[i], x2 = b[i], s = sign * sin[i]
                a[i] = x1 * cos[i] - x2 * s
                b[i] = x2 * cos[i] + x1 * s
                i += 1
            }
        }
    }
}

import Foundation
@testable import Model

/// Straightforward Double-precision forwards of every training op and of a whole decoder with
/// LoRA, written independently of the Float kernels (plain loops over row-major arrays, no BLAS,
/// no saved statistics). The gradient checks first prove each one equal to our Float forward,
/// then take its central differences in Double as the reference for our Float backward.
enum DoubleReference {
    typealias V = [Double]

    static func rmsNorm(_ x: V, w: V, eps: Double, n: Int, d: Int) -> V {
        var y = V(repeating: 0, count: n * d)
        for i in 0..<n {
            var ss = 0.0
            for j in 0..<d { ss += x[i * d + j] * x[i * d + j] }
            let r = 1 / (ss / Double(d) + eps).squareRoot()
            for j in 0..<d { y[i * d + j] = x[i * d + j] * r * w[j] }
        }
        return y
    }

    static func layerNorm(_ x: V, w: V, b: V, eps: Double, n: Int, d: Int) -> V {
        var y = V(repeating: 0, count: n * d)
        for i in 0..<n {
            let row = x[(i * d)..<(i * d + d)]
            let mu = row.reduce(0, +) / Double(d)
            let variance = row.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(d)
            let r = 1 / (variance + eps).squareRoot()
            for j in 0..<d { y[i * d + j] = (x[i * d + j] - mu) * r * w[j] + b[j] }
        }
        return y
    }

    static func swiglu(gate: V, up: V) -> V {
        zip(gate, up).map { g, u in g / (1 + exp(-g)) * u }
    }

    /// GPT-2's tanh GELU.
    static func gelu(_ x: V) -> V {
        let c = (2 / Double.pi).squareRoot()
        return x.map { 0.5 * $0 * (1 + tanh(c * ($0 + 0.044715 * $0 * $0 * $0))) }
    }

    /// Rows of `table` `[V, d]` (plus position rows `positions[i]` of `positionTable`).
    static func embedding(tokens: [Int], table: V, d: Int, positions: [Int]? = nil, positionTable: V? = nil) -> V {
        var y = V(repeating: 0, count: tokens.count * d)
        for (i, t) in tokens.enumerated() {
            for j in 0..<d {
                y[i * d + j] = table[t * d + j]
                if let positions, let positionTable { y[i * d + j] += positionTable[positions[i] * d + j] }
            }
        }
        return y
    }

    /// Hugging Face "rotate half" rotary embedding on the first `heads * hd` columns of each of
    /// the n rows of width `ld` (row r at position r % seqLen); other columns are copied.
    static func rotary(_ x: V, ld: Int, n: Int, seqLen: Int, heads: Int, headDim hd: Int, theta: Double) -> V {
        var y = x
        let half = hd / 2
        for r in 0..<n {
            let pos = Double(r % seqLen)
            for h in 0..<heads {
                for i in 0..<half {
                    let angle = pos / pow(theta, Double(2 * i) / Double(hd))
                    let a = r * ld + h * hd + i, b = a + half
                    y[a] = x[a] * cos(angle) - x[b] * sin(angle)
                    y[b] = x[b] * cos(angle) + x[a] * sin(angle)
                }
            }
        }
        return y
    }

    /// Causal softmax attention over `batch` sequences of `seqLen` rows of width `ld` holding Q
    /// (`heads` heads at `qOffset`), K and V (`kvHeads` heads at `kOffset`, `vOffset`); query
    /// head h uses key/value head h / (heads / kvHeads). Returns `[n, heads * hd]`.
    static func attention(
        _ qkv: V, batch: Int, seqLen T: Int, heads H: Int, kvHeads: Int, headDim hd: Int,
        ld: Int, qOffset: Int, kOffset: Int, vOffset: Int
    ) -> V {
        var out = V(repeating: 0, count: batch * T * H * hd)
        let scale = 1 / Double(hd).squareRoot()
        for b in 0..<batch {
            for h in 0..<H {
                let g = h / (H / kvHeads)
                for i in 0..<T {
                    let qi = (b * T + i) * ld + qOffset + h * hd
                    var scores = V(repeating: 0, count: i + 1)
                    for j in 0...i {
                        let kj = (b * T + j) * ld + kOffset + g * hd
                        var s = 0.0
                        for c in 0..<hd { s += qkv[qi + c] * qkv[kj + c] }
                        scores[j] = s * scale
                    }
                    let m = scores.max()!
                    let e = scores.map { exp($0 - m) }
                    let z = e.reduce(0, +)
                    for j in 0...i {
                        let vj = (b * T + j) * ld + vOffset + g * hd
                        for c in 0..<hd { out[(b * T + i) * H * hd + h * hd + c] += e[j] / z * qkv[vj + c] }
                    }
                }
            }
        }
        return out
    }

    /// `y = x W^T + bias + scale * ((mask * x) A^T) B^T` for x `[n, inF]` (leading dimension
    /// ldx), W `[outF, inF]`, A `[r, inF]`, B `[outF, r]`, mask `[n, inF]` (0 or 1/keep; nil =
    /// no dropout). Returns dense `[n, outF]`.
    static func loraLinear(
        _ x: V, ldx: Int, n: Int, inF: Int, outF: Int, w: V, bias: V?,
        a: ArraySlice<Double>?, b: ArraySlice<Double>?, rank: Int, scale: Double, mask: V?
    ) -> V {
        var y = V(repeating: 0, count: n * outF)
        for i in 0..<n {
            var u = V(repeating: 0, count: rank)
            if let a {
                for k in 0..<rank {
                    for j in 0..<inF {
                        u[k] += a[a.startIndex + k * inF + j] * x[i * ldx + j] * (mask?[i * inF + j] ?? 1)
                    }
                }
            }
            for o in 0..<outF {
                var s = bias?[o] ?? 0
                for j in 0..<inF { s += x[i * ldx + j] * w[o * inF + j] }
                if let b {
                    for k in 0..<rank { s += scale * b[b.startIndex + o * rank + k] * u[k] }
                }
                y[i * outF + o] = s
            }
        }
        return y
    }

    /// Summed next-token cross-entropy of the rows of h `[m, d]` against `targets` with the LM
    /// head W `[V, d]`.
    static func crossEntropySum(h: V, w: V, vocab: Int, d: Int, targets: [Int]) -> Double {
        var total = 0.0
        for (i, t) in targets.enumerated() {
            var logits = V(repeating: 0, count: vocab)
            for v in 0..<vocab {
                for j in 0..<d { logits[v] += h[i * d + j] * w[v * d + j] }
            }
            let m = logits.max()!
            let lse = m + log(logits.reduce(0) { $0 + exp($1 - m) })
            total += lse - logits[t]
        }
        return total
    }
}

/// A whole decoder (LLaMA or GPT-2) with LoRA in Double: each example runs alone (no padding),
/// so it also checks the Float path's batching, padding and target selection.
struct DoubleReferenceModel {
    let config: ModelConfig
    let lora: LoRAConfig
    let views: [LoRAView]
    private let embed: [Double], positions: [Double]?, output: [Double]
    private let finalNorm: ([Double], [Double]?)
    private let norms: [(([Double], [Double]?), ([Double], [Double]?))]
    private let linears: [[Projection: ([Double], [Double]?, Int, Int)]]

    init(weights: ModelWeights, adapter: LoRAAdapter) {
        func dbl(_ t: Tensor) -> [Double] { t.data.map(Double.init) }
        config = weights.config
        lora = adapter.config
        views = adapter.views
        embed = dbl(weights.tokenEmbedding)
        positions = weights.positionEmbedding.map(dbl)
        output = dbl(weights.outputMatrix)
        finalNorm = (dbl(weights.finalNorm.weight), weights.finalNorm.bias.map(dbl))
        norms = weights.layers.map { l in
            (
                (dbl(l.attentionNorm.weight), l.attentionNorm.bias.map(dbl)),
                (dbl(l.mlpNorm.weight), l.mlpNorm.bias.map(dbl))
            )
        }
        linears = weights.layers.map { l in
            l.projections.mapValues { (dbl($0.weight), $0.bias.map(dbl), $0.inFeatures, $0.outFeatures) }
        }
    }

    /// Mean loss over all target tokens of `examples` for the adapter parameters `p`. `masks`
    /// (per layer and projection, `[T_b, in]` per example b) gives the dropout masks; nil: none.
    /// `inputShifts` (`[T_b, d]` per example b) is added to the embeddings: the first block's input.
    func meanLoss(
        _ p: [Double], examples: [TrainingExample], masks: [[[Projection: [Double]]]]? = nil,
        inputShifts: [[Double]]? = nil
    ) -> Double {
        var total = 0.0, count = 0
        for (e, ex) in examples.enumerated() {
            let (sum, n) = lossSum(
                p, tokens: ex.tokens, lossMask: ex.lossMask, masks: masks?[e],
                inputShift: inputShifts?[e])
            total += sum
            count += n
        }
        return total / Double(count)
    }

    private func norm(_ x: [Double], _ w: ([Double], [Double]?), rows: Int) -> [Double] {
        let d = config.hiddenSize
        if let b = w.1 {
            return DoubleReference.layerNorm(x, w: w.0, b: b, eps: Double(config.normEpsilon), n: rows, d: d)
        }
        return DoubleReference.rmsNorm(x, w: w.0, eps: Double(config.normEpsilon), n: rows, d: d)
    }

    private func lossSum(
        _ p: [Double], tokens: [Int], lossMask: [Bool], masks: [[Projection: [Double]]]?,
        inputShift: [Double]? = nil
    ) -> (Double, Int) {
        let T = tokens.count, d = config.hiddenSize, hd = config.headDim
        let H = config.headCount, Hkv = config.kvHeadCount
        let gpt2 = config.architecture == .gpt2
        var x = DoubleReference.embedding(
            tokens: tokens, table: embed, d: d,
            positions: gpt2 ? Array(0..<T) : nil, positionTable: positions)
        if let inputShift { x = zip(x, inputShift).map(+) }
        func lin(_ layer: Int, _ proj: Projection, _ input: [Double]) -> [Double] {
            let (w, b, inF, outF) = linears[layer][proj]!
            let view = views.first { $0.layer == layer && $0.projection == proj }
            return DoubleReference.loraLinear(
                input, ldx: inF, n: T, inF: inF, outF: outF, w: w, bias: b,
                a: view.map { p[$0.aOffset..<($0.aOffset + lora.rank * inF)] },
                b: view.map { p[$0.bOffset..<($0.bOffset + outF * lora.rank)] },
                rank: lora.rank, scale: Double(lora.scale), mask: masks?[layer][proj])
        }
        for l in 0..<config.layerCount {
            let a = norm(x, norms[l].0, rows: T)
            var qkv: [Double]
            if gpt2 {
                qkv = lin(l, .cAttn, a)
            } else {
                let q = DoubleReference.rotary(
                    lin(l, .q, a), ld: H * hd, n: T, seqLen: T, heads: H, headDim: hd,
                    theta: Double(config.ropeTheta))
                let k = DoubleReference.rotary(
                    lin(l, .k, a), ld: Hkv * hd, n: T, seqLen: T, heads: Hkv, headDim: hd,
                    theta: Double(config.ropeTheta))
                let v = lin(l, .v, a)
                qkv = []
                let qw = H * hd, kw = Hkv * hd
                for t in 0..<T {
                    let qRow: ArraySlice<Double> = q[(t * qw)..<(t * qw + qw)]
                    let kRow: ArraySlice<Double> = k[(t * kw)..<(t * kw + kw)]
                    let vRow: ArraySlice<Double> = v[(t * kw)..<(t * kw + kw)]
                    qkv.append(contentsOf: qRow)
                    qkv.append(contentsOf: kRow)
                    qkv.append(contentsOf: vRow)
                }
            }
            let o = DoubleReference.attention(
                qkv, batch: 1, seqLen: T, heads: H, kvHeads: Hkv, headDim: hd,
                ld: (H + 2 * Hkv) * hd, qOffset: 0, kOffset: H * hd, vOffset: (H + Hkv) * hd)
            x = zip(x, lin(l, gpt2 ? .attnProj : .o, o)).map(+)
            let m = norm(x, norms[l].1, rows: T)
            let act =
                gpt2
                ? DoubleReference.gelu(lin(l, .fc, m))
                : DoubleReference.swiglu(gate: lin(l, .gate, m), up: lin(l, .up, m))
            x = zip(x, lin(l, gpt2 ? .mlpProj : .down, act)).map(+)
        }
        let h = norm(x, finalNorm, rows: T)
        var rows: [Double] = [], targets: [Int] = []
        for t in 1..<T where lossMask[t] {
            rows += h[((t - 1) * d)..<(t * d)]
            targets.append(tokens[t])
        }
        return (
            DoubleReference.crossEntropySum(h: rows, w: output, vocab: config.vocabSize, d: d, targets: targets),
            targets.count
        )
    }
}

/// Central differences in Double of a Double function, compared with a Float analytic gradient:
/// returns max |numeric - analytic| / max |analytic| over `indices` (all when nil).
func doubleFiniteDifferenceError(
    at x: [Double], analytic: [Float], step h: Double = 1e-5, indices: [Int]? = nil,
    _ f: ([Double]) -> Double
) -> Double {
    var maxErr = 0.0, maxRef = 1e-300
    for i in indices ?? Array(x.indices) {
        var xp = x, xm = x
        xp[i] += h
        xm[i] -= h
        let numeric = (f(xp) - f(xm)) / (2 * h)
        maxErr = max(maxErr, abs(numeric - Double(analytic[i])))
        maxRef = max(maxRef, abs(Double(analytic[i])))
    }
    return maxErr / maxRef
}

/// max |ours - reference| / max |reference|: how far our Float forward is from the Double one.
func relativeDifference(_ ours: [Float], _ reference: [Double]) -> Double {
    precondition(ours.count == reference.count, "compared arrays differ in length")
    let err = zip(ours, reference).map { abs(Double($0) - $1) }.max() ?? 0
    return err / max(reference.map(abs).max() ?? 0, 1e-300)
}

/// sum(y * r) in Double.
func weightedSum(_ y: [Double], _ r: [Float]) -> Double {
    zip(y, r).reduce(0) { $0 + $1.0 * Double($1.1) }
}

extension Array where Element == Float {
    var doubles: [Double] { map(Double.init) }
}

/// Owns the `TrainingBuffer`s of one test so their pointers stay valid until the test ends
/// (a temporary buffer could otherwise be freed right after its pointer is read).
final class BufferArena {
    private var buffers: [TrainingBuffer] = []

    func buffer(_ count: Int) -> TrainingBuffer { keep(TrainingBuffer(count)) }
    func buffer(_ values: [Float]) -> TrainingBuffer { keep(TrainingBuffer(values)) }

    private func keep(_ b: TrainingBuffer) -> TrainingBuffer {
        buffers.append(b)
        return b
    }
}

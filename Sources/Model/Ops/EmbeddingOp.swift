/// Token (and GPT-2 position) embedding lookup. The tables are frozen, so training never calls
/// `backward`; it exists to state (and test) where the gradient would go.
enum EmbeddingOp {
    /// tokens `[n]`, table `[V, d]` -> y `[n, d]` (overwritten). With `positions` (`[n]`) and a
    /// position table `[P, d]`, adds the position rows.
    static func forward(
        tokens: [Int], table: UnsafePointer<Float>, d: Int, y: UnsafeMutablePointer<Float>,
        positions: [Int]? = nil, positionTable: UnsafePointer<Float>? = nil
    ) {
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

import CKernels
import Foundation

/// `y = x W^T` (or `y +=`) of the inference engine, routed by the number of rows: many rows go
/// to `cblas_sgemm`; few rows (a decoding step: one row per sequence) go to `ck_linear_small`,
/// which streams every weight row once and uses it for all rows while it sits in cache, split
/// over the cores by output columns. OpenBLAS packs the whole weight matrix on every call, which
/// costs as much as the product itself when there are only a few rows.
enum LinearKernel {
    /// Rows up to which the small kernel beats OpenBLAS on this machine's shapes (measured:
    /// 1.5-3x at 1-8 rows, about even at 32-64).
    static let smallRowLimit = 32
    /// Output columns per unit of work (the C kernel's tile).
    static let columnTile = 32
    static let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// `y[m, n] = x[m, k] · w[n, k]^T`, or `y +=` with `accumulate`. Dense rows.
    static func apply(_ x: UnsafePointer<Float>, rows m: Int, inFeatures k: Int, weight w: UnsafePointer<Float>,
                      outFeatures n: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        guard m > 0, n > 0 else { return }
        if m <= smallRowLimit && Kernels.hasAVX2FMA {
            small(x, rows: m, inFeatures: k, weight: w, outFeatures: n, into: y, accumulate: accumulate, workers: workers)
        } else {
            BLAS.linear(x, rows: m, inFeatures: k, weight: w, outFeatures: n, into: y, beta: accumulate ? 1 : 0)
        }
    }

    /// Work items per worker: a few more items than cores keep both cores busy when one of them
    /// is taken by another process for a while (the items are handed out as workers free up).
    static let itemsPerWorker = 4

    /// The small kernel over `workers` threads; each item is a contiguous run of column tiles.
    /// Every output value is one dot product computed in the same order whatever `m` and
    /// `workers` are, so a row's result does not depend on the batch it was computed in.
    static func small(_ x: UnsafePointer<Float>, rows m: Int, inFeatures k: Int, weight w: UnsafePointer<Float>,
                      outFeatures n: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool, workers: Int) {
        let tiles = (n + columnTile - 1) / columnTile
        let parts = max(1, min(workers == 1 ? 1 : workers * itemsPerWorker, tiles))
        let tilesPerPart = (tiles + parts - 1) / parts
        func run(_ part: Int) {
            let n0 = part * tilesPerPart * columnTile, n1 = min(n, n0 + tilesPerPart * columnTile)
            guard n0 < n1 else { return }
            ck_linear_small(x, Int32(m), Int32(k), Int32(k), w, Int32(k), Int32(n0), Int32(n1), y, Int32(n),
                            accumulate ? 1 : 0)
        }
        Parallel.forEach(parts, run)
    }
}

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
    static func apply(
        _ x: UnsafePointer<Float>, rows m: Int, inFeatures k: Int, weight w: UnsafePointer<Float>,
        outFeatures n: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false
    ) {
        guard m > 0, n > 0 else { return }
        if m <= smallRowLimit && Kernels.hasAVX2FMA {
            small(
                x, rows: m, inFeatures: k, weight: w, outFeatures: n, into: y, accumulate: accumulate, workers: workers)
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
    static func small(
        _ x: UnsafePointer<Float>, rows m: Int, inFeatures k: Int, weight w: UnsafePointer<Float>,
        outFeatures n: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool, workers: Int
    ) {
        let tiles = (n + columnTile - 1) / columnTile
        let parts = max(1, min(workers == 1 ? 1 : workers * itemsPerWorker, tiles))
        let tilesPerPart = (tiles + parts - 1) / parts
        func run(_ part: Int) {
            let n0 = part * tilesPerPart * columnTile, n1 = min(n, n0 + tilesPerPart * columnTile)
            guard n0 < n1 else { return }
            ck_linear_small(
                x, Int32(m), Int32(k), Int32(k), w, Int32(k), Int32(n0), Int32(n1), y, Int32(n),
                accumulate ? 1 : 0)
        }
        Parallel.forEach(parts, run)
    }

    // MARK: - bfloat16 (AMX or AVX512-BF16)

    /// Rows above which the bfloat16 product is split by rows rather than by columns.
    static let bf16RowSplitAbove = 64

    /// `y[m, n] = x[m, k] · W^T`, or `y +=` with `accumulate`, with `x` and the packed `W^T`
    /// rounded to bfloat16 and the products summed in float32 (`ck_bf16_gemm` on `kernel`). The rows are
    /// converted once into `scratch` (skipped with `convert` false: `scratch` already holds these
    /// rows, converted for the previous product of the same input), then the product is split over
    /// the cores: up to `bf16RowSplitAbove` rows (decoding) by 16-aligned column ranges, a few more
    /// items than cores; above, by 16-aligned ranges of 32-64 rows with all columns each (measured
    /// here about 1.5x faster than column ranges over thousands of rows: a block's activations stay
    /// in cache while all of the weight passes). Each output value is computed the same way
    /// whatever the split, so a row's result does not depend on the batch.
    static func applyBF16(
        _ x: UnsafePointer<Float>, rows m: Int, inFeatures k: Int, weight b: BF16Weights.Matrix,
        into y: UnsafeMutablePointer<Float>, accumulate: Bool, scratch: ScratchBuffer<UInt16>,
        convert: Bool = true, kernel: BF16Kernel
    ) {
        let n = b.outFeatures
        let path = kernel.rawValue
        guard m > 0, n > 0 else { return }
        let a = convert ? scratch.reserve(ck_bf16_rows_count(Int32(m), Int32(k))) : scratch.pointer
        if convert { ck_bf16_rows(x, Int32(m), Int32(k), Int32(k), a) }
        let k32 = (k + 31) / 32 * 32
        let target = workers == 1 ? 1 : workers * itemsPerWorker
        let acc: Int32 = accumulate ? 1 : 0
        if m <= bf16RowSplitAbove {
            let tiles = (n + 15) / 16
            let parts = max(1, min(target, tiles))
            let tilesPerPart = (tiles + parts - 1) / parts
            Parallel.forEach(parts) { part in
                let n0 = part * tilesPerPart * 16, n1 = min(n, n0 + tilesPerPart * 16)
                guard n0 < n1 else { return }
                ck_bf16_gemm(path, a, Int32(m), Int32(k), b.pointer, Int32(n), Int32(n0), Int32(n1), y, Int32(n), acc)
            }
        } else {
            let rowTiles = (m + 15) / 16
            let tilesPerPart = min(4, max(2, (rowTiles + target - 1) / target))
            let parts = (rowTiles + tilesPerPart - 1) / tilesPerPart
            Parallel.forEach(parts) { part in
                let r0 = part * tilesPerPart * 16, r1 = min(m, r0 + tilesPerPart * 16)
                guard r0 < r1 else { return }
                ck_bf16_gemm(
                    path, a + r0 * k32, Int32(r1 - r0), Int32(k), b.pointer, Int32(n), 0, Int32(n), y + r0 * n,
                    Int32(n), acc)
            }
        }
    }

    /// `applyBF16` for at most `bf16RowSplitAbove` rows with a compact copy of the weight
    /// (`ck_compact_gemm_path`: the same results, fewer bytes read), split by 16-aligned column ranges.
    static func applyCompact(
        _ x: UnsafePointer<Float>, rows m: Int, weight c: CompactWeights.Matrix,
        into y: UnsafeMutablePointer<Float>, accumulate: Bool, scratch: ScratchBuffer<UInt16>,
        convert: Bool = true, kernel: BF16Kernel
    ) {
        let n = c.outFeatures, k = c.inFeatures
        let path = kernel.rawValue
        guard m > 0, n > 0 else { return }
        let a = convert ? scratch.reserve(ck_bf16_rows_count(Int32(m), Int32(k))) : scratch.pointer
        if convert { ck_bf16_rows(x, Int32(m), Int32(k), Int32(k), a) }
        let target = workers == 1 ? 1 : workers * itemsPerWorker
        let acc: Int32 = accumulate ? 1 : 0
        // Pairs of strips are rebuilt together: parts of an even number of strips.
        let pairs = (n / 16 + 1) / 2
        let parts = max(1, min(target, pairs))
        let pairsPerPart = (pairs + parts - 1) / parts
        Parallel.forEach(parts) { part in
            let n0 = part * pairsPerPart * 32, n1 = min(n, n0 + pairsPerPart * 32)
            guard n0 < n1 else { return }
            ck_compact_gemm_path(
                path, a, Int32(m), Int32(k), c.pointer, Int32(c.bits), Int32(n), Int32(n0), Int32(n1), y, Int32(n), acc)
        }
    }
}

import Dispatch

/// Runs work items of one call on the cores (`DispatchQueue.concurrentPerform`). The items
/// write disjoint parts of buffers owned by the caller, which waits for all of them, so the
/// closure need not be `Sendable`.
///
/// Both runners' own loops (rank-r LoRA products, elementwise ops, norms) are split into work items
/// here: ranges of rows or elements, or of columns on 32-column boundaries (the LoRA dropout mask is
/// drawn 32 columns at a time). Small jobs stay one item (run inline, no dispatch).
enum Parallel {
    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count == 1 { body(0); return }
        guard count > 1 else { return }
        withoutActuallyEscaping(body) { escapable in
            nonisolated(unsafe) let work = escapable
            DispatchQueue.concurrentPerform(iterations: count) { work($0) }
        }
    }

    /// Work items per core, so a core taken by another process for a while does not stall the job.
    static let itemsPerWorker = 2
    /// Fewest rows / columns / elements worth a work item of their own.
    static let minimumRows = 16, minimumColumns = 64, minimumElements = 16_384

    /// `0 ..< n` rows cut into at most `itemsPerWorker * workers` ranges of at least `minimumRows`.
    static func rows(_ n: Int) -> [(Int, Int)] { split(n, unit: 1, minimum: minimumRows) }

    /// `0 ..< n` columns cut on multiples of 32 into ranges of at least `minimumColumns`.
    static func columns(_ n: Int) -> [(Int, Int)] { split(n, unit: 32, minimum: minimumColumns) }

    /// Runs `body(start, end)` over `0 ..< n` cut into ranges (multiples of `unit` but the last,
    /// at least `minimum` long), in parallel; the ranges are disjoint, so `body` may write its own part.
    static func run(_ n: Int, unit: Int = 1, minimum: Int = minimumElements, _ body: (Int, Int) -> Void) {
        let parts = split(n, unit: unit, minimum: minimum)
        Parallel.forEach(parts.count) { body(parts[$0].0, parts[$0].1) }
    }

    private static func split(_ n: Int, unit: Int, minimum: Int) -> [(Int, Int)] {
        let parts = max(1, min(LinearKernel.workers * itemsPerWorker, n / max(minimum, 1)))
        let units = (n + unit - 1) / unit
        let perPart = max((units + parts - 1) / parts * unit, 1)
        return stride(from: 0, to: n, by: perPart).map { ($0, min(n, $0 + perPart)) }
    }

    /// `b[rows, cols]` transposed into `out[cols, rows]`.
    static func transpose(_ b: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<rows { for j in 0..<cols { out[j * rows + i] = b[i * cols + j] } }
    }
}

import CKernels

/// One frozen matrix packed for the bfloat16 product (`ck_bf16_pack*`): the right-hand side `b[k, n]`
/// of `y = a · b`, read only, and the kernels that multiply with it (`kernel`). The memory belongs to a `BF16TrainingWeights` (or the shared
/// `BF16Weights` it holds for the forward orientation), which outlives
/// every pass that uses it.
struct BF16Operand {
    let pointer: UnsafePointer<UInt16>
    /// Rows (the summed dimension) and columns of `b`.
    let k: Int, n: Int
    /// The bfloat16 path of `multiply` (the fastest here unless a pass asks for another: `on(_:)`).
    var kernel: BF16Kernel = BF16Kernel.best ?? .portable

    /// This operand multiplied on `kernel`.
    func on(_ kernel: BF16Kernel) -> BF16Operand {
        var o = self
        o.kernel = kernel
        return o
    }

    /// Output columns per work item are a multiple of this: the kernel's blocks are 32 columns
    /// (two 16-column strips; work items must start on a 16-column boundary).
    static let columnStrip = 32
    /// Work items per core, so a core taken by another process for a while does not stall the product.
    static let itemsPerWorker = 4

    /// UInt16 elements of the converted activations `multiply` needs for `rows` rows of `k` values.
    static func scratchCount(rows: Int, k: Int) -> Int { Int(ck_bf16_rows_count(Int32(rows), Int32(k))) }

    /// `y[rows, n] (+)= x[rows, k] · b` in mixed precision: `x` (row stride `ldx`) is rounded to
    /// bfloat16 once (split over the cores) into `scratch` (`scratchCount(rows:k:)` elements), then the product runs on
    /// `kernel` (AMX or AVX512-BF16), split over the cores by 32-aligned column ranges. `y` has row stride `ldy`; with
    /// `accumulate` it is added to, else overwritten.
    func multiply(
        _ x: UnsafePointer<Float>, rows: Int, ldx: Int, into y: UnsafeMutablePointer<Float>, ldy: Int,
        accumulate: Bool, scratch: UnsafeMutablePointer<UInt16>
    ) {
        guard rows > 0, n > 0 else { return }
        Self.convert(x, rows: rows, k: k, ldx: ldx, into: scratch)
        let strips = (n + Self.columnStrip - 1) / Self.columnStrip
        let workers = LinearKernel.workers
        let parts = max(1, min(workers == 1 ? 1 : workers * Self.itemsPerWorker, strips))
        let stripsPerPart = (strips + parts - 1) / parts
        let a = UnsafePointer(scratch)
        let (b, k, n, path) = (pointer, k, n, kernel.rawValue)
        Parallel.forEach(parts) { part in
            let n0 = part * stripsPerPart * Self.columnStrip, n1 = min(n, n0 + stripsPerPart * Self.columnStrip)
            guard n0 < n1 else { return }
            ck_bf16_gemm(
                path, a, Int32(rows), Int32(k), b, Int32(n), Int32(n0), Int32(n1), y, Int32(ldy), accumulate ? 1 : 0)
        }
    }
}

extension BF16Operand {
    /// `ck_bf16_rows` split over the cores by ranges of 16 rows (the layout's row tiles; the last
    /// range pads the rows to a multiple of 16, as one call would).
    static func convert(
        _ x: UnsafePointer<Float>, rows: Int, k: Int, ldx: Int, into scratch: UnsafeMutablePointer<UInt16>
    ) {
        let k32 = (k + 31) / 32 * 32
        Parallel.run(rows, unit: 16, minimum: 32) { r0, r1 in
            ck_bf16_rows(x + r0 * ldx, Int32(r1 - r0), Int32(k), Int32(ldx), scratch + r0 * k32)
        }
    }

    /// Scratch for converted activations, owned by one pass and freed with it.
    final class Scratch {
        let pointer: UnsafeMutablePointer<UInt16>

        init(count: Int) { pointer = .allocate(capacity: Swift.max(count, 1)) }

        deinit { pointer.deallocate() }
    }
}

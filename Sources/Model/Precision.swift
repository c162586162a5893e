import CKernels

/// The arithmetic of the frozen weights' matrix products.
///
/// `float32` is exact float32 (cblas and the AVX2 kernels) and is what the golden tests check.
/// `bfloat16` rounds weights and activations to bfloat16 and sums the products in float32 (mixed
/// precision, as `torch.autocast(dtype=torch.bfloat16)` does) on the fastest unit this CPU has
/// (`BF16Kernel.best`: AMX tiles, else AVX512-BF16 `vdpbf16ps`); norms, attention, softmax, the
/// loss and every LoRA parameter and gradient stay float32. Where the CPU has neither, `bfloat16`
/// runs as `float32` (see `effective`).
public enum Precision: String, Sendable, Codable, CaseIterable, Hashable {
    case float32 = "fp32"
    case bfloat16 = "bf16"

    /// Whether this CPU and OS run the bfloat16 AMX kernels.
    public static let hasAMX: Bool = ck_has_amx_bf16() != 0

    /// Whether this CPU and OS run the bfloat16 AVX512-BF16 kernels.
    public static let hasAVX512BF16: Bool = ck_has_avx512_bf16() != 0

    /// What actually runs here: `bfloat16` falls back to `float32` without AMX or AVX512-BF16.
    public var effective: Precision { self == .bfloat16 && BF16Kernel.best == nil ? .float32 : self }

    /// The kernels this precision runs on here: "amx-bf16", "avx512-bf16" or "fp32" (recorded in
    /// results and printed at the start of the commands).
    public var kernelPath: String { effective == .bfloat16 ? BF16Kernel.best!.name : "fp32" }
}

/// The kernels of the bfloat16 products (`ck_bf16_gemm`, `ck_compact_gemm_path`). Every one
/// computes the same products with float32 sums; they differ in summation order.
public enum BF16Kernel: Int32, Sendable, CaseIterable, Hashable {
    /// Plain C: the tests' reference, far too slow to run a model on.
    case portable = 0
    /// AVX512-BF16 (`vdpbf16ps`): Intel Cooper Lake and later, AMD Zen 4 and later.
    case avx512 = 1
    /// AMX tiles: Intel Sapphire Rapids and later.
    case amx = 2

    public var name: String {
        switch self {
        case .portable: "portable-bf16"
        case .avx512: "avx512-bf16"
        case .amx: "amx-bf16"
        }
    }

    /// Whether this CPU runs this path.
    public var isAvailable: Bool { ck_bf16_path_available(rawValue) != 0 }

    /// The fastest path here (AMX, then AVX512-BF16), nil when only the portable one runs.
    public static let best: BF16Kernel? = {
        let p = BF16Kernel(rawValue: ck_bf16_best_path()) ?? .portable
        return p == .portable ? nil : p
    }()

    /// Every path this CPU runs, fastest first (the tests run each).
    public static var available: [BF16Kernel] { allCases.reversed().filter(\.isAvailable) }
}

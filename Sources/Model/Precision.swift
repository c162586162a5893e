import CKernels

/// The arithmetic of the frozen weights' matrix products.
///
/// `float32` is exact float32 (cblas and the AVX2 kernels) and is what the golden tests check.
/// `bfloat16` rounds weights and activations to bfloat16 and sums the products in float32 on the
/// CPU's AMX tile unit (mixed precision, as `torch.autocast(dtype=torch.bfloat16)` does); norms,
/// attention, softmax, the loss and every LoRA parameter and gradient stay float32. Where the CPU
/// has no AMX, `bfloat16` runs as `float32` (see `effective`).
public enum Precision: String, Sendable, Codable, CaseIterable, Hashable {
    case float32 = "fp32"
    case bfloat16 = "bf16"

    /// Whether this CPU and OS run the bfloat16 AMX kernels.
    public static let hasAMX: Bool = ck_has_amx_bf16() != 0

    /// What actually runs here: `bfloat16` falls back to `float32` without AMX.
    public var effective: Precision { self == .bfloat16 && !Precision.hasAMX ? .float32 : self }
}

/// The linear projections of a transformer block, named as PEFT names LoRA targets.
public enum Projection: String, Sendable, Codable, CaseIterable, Hashable {
    // LLaMA family
    case q = "q_proj"
    case k = "k_proj"
    case v = "v_proj"
    case o = "o_proj"
    case gate = "gate_proj"
    case up = "up_proj"
    case down = "down_proj"
    // GPT-2
    case cAttn = "attn.c_attn"
    case attnProj = "attn.c_proj"
    case fc = "mlp.c_fc"
    case mlpProj = "mlp.c_proj"

    /// The projections of an architecture, in the canonical order used by flat parameter vectors.
    public static func all(for architecture: Architecture) -> [Projection] {
        architecture.definition.projections
    }
}

extension Projection {
    /// Entries per layer in a flat per-layer table of projections (`[layer * slotCount + ...]`).
    static let slotCount = allCases.count
    private static let ordinals = Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })

    /// This projection's index in a flat per-layer table: `layer * slotCount +` its place in `allCases`.
    func slot(layer: Int) -> Int { layer * Projection.slotCount + Projection.ordinals[self]! }
}

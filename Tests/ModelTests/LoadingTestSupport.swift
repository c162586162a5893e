import Foundation
@testable import Model

/// Paths and helpers shared by the loading, GGUF, safetensors and tokenizer tests.
enum LoadingFixtures {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static func path(_ relative: String) -> String { golden.appendingPathComponent(relative).path }

    static func json(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: golden.appendingPathComponent(relative))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// The default model: env FEDHDS_MODEL, else the cache path of scripts/fetch-model.sh.
    static var defaultModelPath: String {
        if let p = ProcessInfo.processInfo.environment["FEDHDS_MODEL"], !p.isEmpty { return p }
        let cache =
            ProcessInfo.processInfo.environment["FEDHDS_CACHE"]
            ?? (NSHomeDirectory() + "/.cache/fedhds")
        return cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    /// A fresh temporary folder for files a test writes.
    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedhds-loading-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    /// The message of a thrown ModelError (or a note that something else or nothing was thrown).
    static func errorText(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "<no error>"
        } catch let e as ModelError {
            return e.description
        } catch {
            return "<not a ModelError: \(error)>"
        }
    }
}

extension LoadingFixtures {
    /// Our tensor for a Hugging Face parameter name, and whether HF stores it transposed
    /// (GPT-2 Conv1D `[in, out]`). Nil for names we do not hold (e.g. a tied lm_head).
    static func tensor(_ w: ModelWeights, hfName name: String) -> (tensor: Tensor, transposed: Bool)? {
        let n = name.hasPrefix("transformer.") ? String(name.dropFirst("transformer.".count)) : name
        switch n {
        case "model.embed_tokens.weight", "wte.weight": return (w.tokenEmbedding, false)
        case "wpe.weight": return w.positionEmbedding.map { ($0, false) }
        case "model.norm.weight", "ln_f.weight": return (w.finalNorm.weight, false)
        case "ln_f.bias": return w.finalNorm.bias.map { ($0, false) }
        case "lm_head.weight": return w.lmHead.map { ($0, false) }
        default: break
        }
        let parts = n.split(separator: ".").map(String.init)
        let isLlama = parts.first == "model"
        guard let layer = Int(parts[isLlama ? 2 : 1]) else { return nil }
        let l = w.layers[layer]
        let rest = parts[(isLlama ? 3 : 2)...].joined(separator: ".")
        let kind = parts.last!  // weight or bias
        let stem = rest.dropLast(kind.count + 1)
        switch stem {
        case "input_layernorm", "ln_1":
            return (kind == "weight" ? l.attentionNorm.weight : l.attentionNorm.bias!, false)
        case "post_attention_layernorm", "ln_2": return (kind == "weight" ? l.mlpNorm.weight : l.mlpNorm.bias!, false)
        default:
            let projName = isLlama ? String(stem.split(separator: ".").last!) : String(stem)
            guard let p = Projection(rawValue: projName), let linear = l.projections[p] else { return nil }
            return kind == "weight" ? (linear.weight, !isLlama) : linear.bias.map { ($0, false) }
        }
    }
}

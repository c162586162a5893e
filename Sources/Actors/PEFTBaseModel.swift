import Foundation

/// What an adapter's `adapter_config.json` names as `base_model_name_or_path`, so that PEFT's
/// `AutoPeftModelForCausalLM.from_pretrained(adapter)` finds the base model: the Hugging Face id
/// of a GGUF this project knows (the GGUF is a quantised copy of it), the absolute path of a
/// Hugging Face folder, else the absolute path of the file (set the field by hand then).
public enum PEFTBaseModel {
    /// GGUF file names (before the quantisation suffix) and the Hugging Face model they copy.
    public static let knownGGUF = ["SmolLM2-135M-Instruct": "HuggingFaceTB/SmolLM2-135M-Instruct"]

    public static func name(forModel path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
            return url.path
        }
        let file = url.lastPathComponent
        guard file.lowercased().hasSuffix(".gguf") else { return url.path }
        let stem = String(file.dropLast(5))  // e.g. "SmolLM2-135M-Instruct.Q4_1"
        for (prefix, id) in knownGGUF where stem == prefix || stem.hasPrefix(prefix + ".") {
            return id
        }
        return url.path
    }
}

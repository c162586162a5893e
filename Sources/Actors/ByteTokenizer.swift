/// The tiny built-in model's tokenizer: one token per UTF-8 byte (ids 0-255), then end of text
/// (256) and beginning of text (257). It needs no file, so `experiments/smoke.toml` runs without
/// any download; real models use the tokenizer stored with their weights.
public enum ByteTokenizer {
    public static let eos = 256
    public static let bos = 257
    public static let vocabularySize = 258

    public static func encode(_ text: String) -> [Int] { text.utf8.map { Int($0) } }

    /// Bytes back to text (ids >= 256 are dropped; invalid UTF-8 becomes U+FFFD).
    public static func decode(_ ids: [Int]) -> String {
        String(decoding: ids.compactMap { (0..<256).contains($0) ? UInt8($0) : nil }, as: UTF8.self)
    }
}

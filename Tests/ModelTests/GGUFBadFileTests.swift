import Foundation
import Testing
@testable import Model

/// A minimal GGUF writer for building valid and deliberately broken files in tests.
struct TestGGUF {
    var magic: [UInt8] = Array("GGUF".utf8)
    var version: UInt32 = 3
    var tensorCountOverride: UInt64?
    var metadata: [(key: String, type: UInt32, payload: [UInt8])] = []
    var tensors: [(name: String, dims: [UInt64], type: UInt32, data: [UInt8])] = []
    /// Per-tensor offset overrides (for broken offsets).
    var offsetOverride: [String: UInt64] = [:]

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func str(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }

    mutating func set(_ key: String, string: String) { metadata.append((key, 8, Self.str(string))) }
    mutating func set(_ key: String, u32: UInt32) { metadata.append((key, 4, Self.le(u32))) }
    mutating func set(_ key: String, f32: Float) { metadata.append((key, 6, Self.le(f32.bitPattern))) }
    mutating func set(_ key: String, bool: Bool) { metadata.append((key, 7, [bool ? 1 : 0])) }
    mutating func set(_ key: String, strings: [String]) {
        metadata.append((key, 9, Self.le(UInt32(8)) + Self.le(UInt64(strings.count)) + strings.flatMap(Self.str)))
    }
    mutating func set(_ key: String, i32s: [Int32]) {
        metadata.append((key, 9, Self.le(UInt32(5)) + Self.le(UInt64(i32s.count)) + i32s.flatMap { Self.le($0) }))
    }

    /// An F32 tensor of row-major `shape` with values `seed + 0.001 i`.
    mutating func addF32(_ name: String, _ shape: [Int], seed: Float = 0) {
        let n = shape.reduce(1, *)
        let values = (0..<n).map { seed + Float($0 % 997) * 0.001 }
        tensors.append((name, shape.reversed().map(UInt64.init), 0, values.flatMap { Self.le($0.bitPattern) }))
    }

    func bytes() -> [UInt8] {
        var out = magic + Self.le(version)
        out += Self.le(tensorCountOverride ?? UInt64(tensors.count)) + Self.le(UInt64(metadata.count))
        for m in metadata { out += Self.str(m.key) + Self.le(m.type) + m.payload }
        var offset: UInt64 = 0
        var offsets: [UInt64] = []
        for t in tensors {
            out += Self.str(t.name) + Self.le(UInt32(t.dims.count)) + t.dims.flatMap { Self.le($0) } + Self.le(t.type)
            out += Self.le(offsetOverride[t.name] ?? offset)
            offsets.append(offset)
            offset += UInt64((t.data.count + 31) / 32 * 32)
        }
        while out.count % 32 != 0 { out.append(0) }
        for t in tensors {
            out += t.data
            while out.count % 32 != 0 { out.append(0) }
        }
        return out
    }

    func write(_ dir: String, _ name: String = "model.gguf") throws -> String {
        let path = dir + "/" + name
        try Data(bytes()).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A complete one-layer LLaMA (d 32, 2 heads, vocab 4) with a 4-token tokenizer.
    static func tinyLlama(skipping skipped: Set<String> = [], shapes: [String: [Int]] = [:]) -> TestGGUF {
        var g = TestGGUF()
        g.set("general.architecture", string: "llama")
        g.set("llama.block_count", u32: 1)
        g.set("llama.context_length", u32: 16)
        g.set("llama.embedding_length", u32: 32)
        g.set("llama.feed_forward_length", u32: 64)
        g.set("llama.attention.head_count", u32: 2)
        g.set("llama.attention.head_count_kv", u32: 2)
        g.set("llama.rope.freq_base", f32: 10000)
        g.set("llama.attention.layer_norm_rms_epsilon", f32: 1e-5)
        g.set("tokenizer.ggml.model", string: "gpt2")
        g.set("tokenizer.ggml.pre", string: "smollm")
        g.set("tokenizer.ggml.tokens", strings: ["<s>", "a", "b", "ab"])
        g.set("tokenizer.ggml.token_type", i32s: [3, 1, 1, 1])
        g.set("tokenizer.ggml.merges", strings: ["a b"])
        g.set("tokenizer.ggml.bos_token_id", u32: 0)
        g.set("tokenizer.ggml.add_bos_token", bool: true)
        let all: [(String, [Int])] = [
            ("token_embd.weight", [4, 32]), ("blk.0.attn_norm.weight", [32]), ("blk.0.attn_q.weight", [32, 32]),
            ("blk.0.attn_k.weight", [32, 32]), ("blk.0.attn_v.weight", [32, 32]),
            ("blk.0.attn_output.weight", [32, 32]),
            ("blk.0.ffn_norm.weight", [32]), ("blk.0.ffn_gate.weight", [64, 32]), ("blk.0.ffn_up.weight", [64, 32]),
            ("blk.0.ffn_down.weight", [32, 64]), ("output_norm.weight", [32])
        ]
        for (i, (name, shape)) in all.enumerated() where !skipped.contains(name) {
            g.addF32(name, shapes[name] ?? shape, seed: Float(i))
        }
        return g
    }
}

/// Broken GGUF and Hugging Face files are refused with a ModelError naming the file, the tensor
/// and the problem, never a crash.
@Suite struct GGUFBadFileTests {
    func withDir(_ body: (String) throws -> Void) throws {
        let dir = try LoadingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    @Test func validTinyFileLoads() throws {
        try withDir { dir in
            let path = try TestGGUF.tinyLlama().write(dir)
            let model = try ModelLoader.load(path: path)
            #expect(model.config.hiddenSize == 32 && model.config.tiedEmbeddings)
            #expect(model.tokenizer.encode("ab") == [0, 3])
            // attn_q: GGUF row 2i+s of each 16-row head is HF row s*8+i
            let q = model.weights.layers[0].projections[.q]!.weight
            let stored = (0..<(32 * 32)).map { 2 + Float($0 % 997) * 0.001 }
            for hfRow in 0..<32 {
                let head = hfRow / 16, within = hfRow % 16, s = within / 8, i = within % 8
                let ggufRow = head * 16 + 2 * i + s
                #expect(
                    Array(q.data[(hfRow * 32)..<(hfRow * 32 + 32)])
                        == Array(stored[(ggufRow * 32)..<(ggufRow * 32 + 32)]))
            }
        }
    }

    @Test func everyTruncationIsRefusedWithoutCrashing() throws {
        try withDir { dir in
            let full = TestGGUF.tinyLlama().bytes()
            var lengths = Array(stride(from: 0, to: min(full.count, 2048), by: 3))
            lengths += stride(from: 2048, to: full.count, by: 211)
            lengths.append(full.count - 1)
            for n in lengths {
                let path = dir + "/t\(n).gguf"
                try Data(full[0..<n]).write(to: URL(fileURLWithPath: path))
                let text = LoadingFixtures.errorText { _ = try ModelLoader.load(path: path) }
                #expect(text.hasPrefix(path), "\(n) bytes: \(text)")
                try FileManager.default.removeItem(atPath: path)
            }
            let path = dir + "/cut.gguf"
            try Data(full.dropLast(100)).write(to: URL(fileURLWithPath: path))
            let text = LoadingFixtures.errorText { _ = try ModelLoader.load(path: path) }
            #expect(text.contains("output_norm.weight") && text.contains("truncated"), "\(text)")
        }
    }

    @Test func wrongMagicAndVersion() throws {
        try withDir { dir in
            var g = TestGGUF.tinyLlama()
            g.magic = Array("GGML".utf8)
            let path = try g.write(dir, "magic.gguf")
            let text = LoadingFixtures.errorText { _ = try ModelLoader.load(path: path) }
            #expect(text.hasPrefix(path) && text.contains("bad magic"), "\(text)")
            g = TestGGUF.tinyLlama()
            g.version = 1
            let v1 = try g.write(dir, "v1.gguf")
            #expect(
                LoadingFixtures.errorText { _ = try ModelLoader.load(path: v1) }.contains("unsupported GGUF version 1"))
            let safetensors = LoadingFixtures.path("tiny-llama/model.safetensors")
            #expect(
                LoadingFixtures.errorText { _ = try ModelLoader.load(path: safetensors) }.contains("not a GGUF file"))
        }
    }

    @Test func missingTensor() throws {
        try withDir { dir in
            let path = try TestGGUF.tinyLlama(skipping: ["blk.0.ffn_up.weight"]).write(dir)
            let text = LoadingFixtures.errorText { _ = try ModelLoader.load(path: path) }
            #expect(text == "\(path): tensor 'blk.0.ffn_up.weight': missing")
        }
    }

    @Test func shapeMismatch() throws {
        try withDir { dir in
            let path = try TestGGUF.tinyLlama(shapes: ["blk.0.attn_v.weight": [32, 64]]).write(dir)
            let text = LoadingFixtures.errorText { _ = try ModelLoader.load(path: path) }
            #expect(text == "\(path): tensor 'blk.0.attn_v.weight': shape [32, 64], expected [32, 32]")
        }
    }

    @Test func unsupportedQuantType() throws {
        try withDir { dir in
            var g = TestGGUF.tinyLlama()
            let i = g.tensors.firstIndex { $0.name == "blk.0.ffn_gate.weight" }!
            g.tensors[i].type = 12  // Q4_K
            let path = try g.write(dir)
            let text = LoadingFixtures.errorText { _ = try ModelLoader.load(path: path) }
            #expect(
                text.hasPrefix(path) && text.contains("'blk.0.ffn_gate.weight'")
                    && text.contains("unsupported tensor type Q4_K"),
                "\(text)")
        }
    }

    @Test func corruptHeaderFields() throws {
        try withDir { dir in
            var g = TestGGUF.tinyLlama()
            g.tensorCountOverride = 1 << 60
            var path = try g.write(dir, "count.gguf")
            #expect(LoadingFixtures.errorText { _ = try ModelLoader.load(path: path) }.contains("implausible counts"))

            g = TestGGUF.tinyLlama()
            g.metadata[0].payload = TestGGUF.le(UInt64(1) << 50) + Array("llama".utf8)  // absurd string length
            path = try g.write(dir, "string.gguf")
            #expect(
                LoadingFixtures.errorText { _ = try ModelLoader.load(path: path) }.contains(
                    "truncated or corrupt header"))

            g = TestGGUF.tinyLlama()
            g.metadata.append(("bad.type", 99, [0]))
            path = try g.write(dir, "type.gguf")
            #expect(
                LoadingFixtures.errorText { _ = try ModelLoader.load(path: path) }.contains(
                    "unknown metadata type 99 of 'bad.type'"))

            g = TestGGUF.tinyLlama()
            g.offsetOverride["blk.0.attn_k.weight"] = 1 << 40
            path = try g.write(dir, "offset.gguf")
            let text = LoadingFixtures.errorText { _ = try ModelLoader.load(path: path) }
            #expect(text.contains("'blk.0.attn_k.weight'") && text.contains("beyond the end"), "\(text)")

            g = TestGGUF.tinyLlama()
            g.offsetOverride["blk.0.attn_k.weight"] = 4
            path = try g.write(dir, "align.gguf")
            #expect(LoadingFixtures.errorText { _ = try ModelLoader.load(path: path) }.contains("not aligned"))

            g = TestGGUF.tinyLlama()
            g.tensors[0].dims = [32, 4, 1, 1, 1]
            path = try g.write(dir, "dims.gguf")
            #expect(LoadingFixtures.errorText { _ = try ModelLoader.load(path: path) }.contains("5 dimensions"))

            g = TestGGUF.tinyLlama()
            g.metadata[0].payload = TestGGUF.str("mamba")
            path = try g.write(dir, "arch.gguf")
            #expect(LoadingFixtures.errorText { _ = try ModelLoader.load(path: path) }.contains("architecture 'mamba'"))

            g = TestGGUF.tinyLlama()
            g.metadata.removeAll { $0.key == "llama.embedding_length" }
            path = try g.write(dir, "key.gguf")
            #expect(
                LoadingFixtures.errorText { _ = try ModelLoader.load(path: path) }.contains(
                    "llama.embedding_length is missing"))

            g = TestGGUF.tinyLlama()
            g.metadata.removeAll { $0.key == "tokenizer.ggml.merges" }
            g.set("tokenizer.ggml.merges", strings: ["a c"])
            path = try g.write(dir, "merge.gguf")
            #expect(LoadingFixtures.errorText { _ = try ModelLoader.load(path: path) }.contains("merge 0 'a c'"))
        }
    }

    /// Hugging Face folders: a tiny-llama copy with one tensor missing, one of the wrong shape,
    /// a shard missing, a corrupt safetensors header and a config.json without a key.
    @Test func brokenHuggingFaceFolders() throws {
        try withDir { dir in
            let source = LoadingFixtures.path("tiny-llama")
            let fm = FileManager.default
            func copy(_ name: String) throws -> String {
                let d = dir + "/" + name
                try fm.copyItem(atPath: source, toPath: d)
                return d
            }
            let original = try SafetensorsFile.read(path: source + "/model.safetensors")
            let sorted = original.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) }

            let missing = try copy("missing")
            try SafetensorsFile.write(
                sorted.filter { $0.name != "model.layers.1.mlp.up_proj.weight" }, to: missing + "/model.safetensors")
            #expect(
                LoadingFixtures.errorText { _ = try ModelLoader.load(path: missing) }
                    == "\(missing): tensor 'model.layers.1.mlp.up_proj.weight': missing")

            let shape = try copy("shape")
            try SafetensorsFile.write(
                sorted.map {
                    $0.name == "model.layers.0.self_attn.k_proj.weight"
                        ? ($0.name, Tensor(shape: [8, 64], data: $0.tensor.data)) : $0
                }, to: shape + "/model.safetensors")
            #expect(
                LoadingFixtures.errorText { _ = try ModelLoader.load(path: shape) }
                    == "\(shape): tensor 'model.layers.0.self_attn.k_proj.weight': shape [8, 64], expected [16, 32]")

            let corrupt = try copy("corrupt")
            var bytes = try Data(contentsOf: URL(fileURLWithPath: corrupt + "/model.safetensors"))
            bytes[20] = UInt8(ascii: "}")
            try bytes.write(to: URL(fileURLWithPath: corrupt + "/model.safetensors"))
            let corruptText = LoadingFixtures.errorText { _ = try ModelLoader.load(path: corrupt) }
            #expect(corruptText.hasPrefix(corrupt + "/model.safetensors: "), "\(corruptText)")

            let sharded = dir + "/sharded"
            try fm.copyItem(atPath: LoadingFixtures.path("loading/tiny-llama-sharded"), toPath: sharded)
            try fm.copyItem(atPath: source + "/tokenizer.json", toPath: sharded + "/tokenizer.json")
            _ = try ModelLoader.load(path: sharded)
            try fm.removeItem(atPath: sharded + "/model-00002-of-00004.safetensors")
            #expect(
                LoadingFixtures.errorText { _ = try ModelLoader.load(path: sharded) }
                    == "\(sharded)/model-00002-of-00004.safetensors: shard listed in the index is missing")

            let config = try copy("config")
            let text = try String(contentsOfFile: config + "/config.json", encoding: .utf8)
            try text.replacingOccurrences(of: "\"num_hidden_layers\"", with: "\"num_layers_renamed\"")
                .write(toFile: config + "/config.json", atomically: true, encoding: .utf8)
            #expect(
                LoadingFixtures.errorText { _ = try ModelLoader.load(path: config) }
                    == "\(config)/config.json: num_hidden_layers is missing or not a positive integer")
        }
    }
}

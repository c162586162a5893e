import Foundation
import Testing
@testable import Model

@Suite struct SafetensorsFileTests {
    @Test func readsF32F16BF16WrittenByTorchBitExactly() throws {
        let expect = try LoadingFixtures.json("loading/expect.json")["mixed"] as! [String: [String: Any]]
        let (tensors, metadata) = try SafetensorsFile.readWithMetadata(
            path: LoadingFixtures.path("loading/mixed.safetensors"))
        #expect(metadata == ["format": "pt", "note": "fedhds golden"])
        #expect(Set(tensors.keys) == Set(expect.keys))
        for (name, e) in expect {
            let t = try #require(tensors[name])
            #expect(t.shape == e["shape"] as! [Int], "\(name)")
            let bits = (e["bits"] as! [Int]).map { UInt32(bitPattern: Int32($0)) }
            #expect(t.data.map(\.bitPattern) == bits, "\(name)")
        }
    }

    @Test func halfConversionMatchesFloat16ForEveryBitPattern() {
        for h in 0...0xFFFF {
            let ours = FloatConversion.half(UInt16(h))
            let reference = Float(Float16(bitPattern: UInt16(h)))
            #expect(ours.bitPattern == reference.bitPattern || (ours.isNaN && reference.isNaN))
            if !(ours.bitPattern == reference.bitPattern || (ours.isNaN && reference.isNaN)) { return }
        }
    }

    @Test func writeThenReadRoundTripsWithMetadata() throws {
        let dir = try LoadingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/adapter_model.safetensors"
        let a = Tensor(shape: [2, 3], data: [1, -2, 3.5, .pi, -0, Float(bitPattern: 0x0001_0000)])
        let b = Tensor(shape: [4], data: [0.25, 8, -9, 1e30])
        let empty = Tensor(shape: [0], data: [])
        try SafetensorsFile.write(
            [("base_model.model.layers.0.q.lora_A.weight", a), ("b", b), ("z", empty)],
            metadata: ["format": "pt", "r": "8"], to: path)
        let (tensors, metadata) = try SafetensorsFile.readWithMetadata(path: path)
        #expect(metadata == ["format": "pt", "r": "8"])
        #expect(
            tensors["base_model.model.layers.0.q.lora_A.weight"]?.data.map(\.bitPattern) == a.data.map(\.bitPattern))
        #expect(tensors["b"] == b)
        #expect(tensors["z"] == empty)
        // header length is a multiple of 8 and data follows in the given order
        let header = try SafetensorsFile.header(path: path)
        #expect(header.entries.map(\.name) == ["base_model.model.layers.0.q.lora_A.weight", "b", "z"])
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = raw.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(n % 8 == 0)
        #expect(raw.count == 8 + Int(n) + 4 * 10)
        // no temporary file is left behind
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["adapter_model.safetensors"])
        // overwriting replaces atomically
        try SafetensorsFile.write([("b", b)], to: path)
        #expect(try SafetensorsFile.read(path: path).keys.sorted() == ["b"])
    }

    @Test func refusesDuplicateNamesOnWrite() throws {
        let dir = try LoadingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = Tensor(shape: [1], data: [1])
        let text = LoadingFixtures.errorText {
            try SafetensorsFile.write([("x", t), ("x", t)], to: dir + "/d.safetensors")
        }
        #expect(text.contains("duplicate"))
    }

    /// A safetensors file with a hand-written header, to corrupt on purpose.
    static func file(header: String, dataBytes: Int, headerLength: UInt64? = nil, in dir: String) throws -> String {
        var data = Data()
        var n = (headerLength ?? UInt64(header.utf8.count)).littleEndian
        withUnsafeBytes(of: &n) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: [UInt8](repeating: 0, count: dataBytes))
        let path = dir + "/bad-\(UUID().uuidString).safetensors"
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func corruptHeadersAreRefusedWithFileTensorAndProblem() throws {
        let dir = try LoadingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#
        let cases: [(String, [String])] = [
            (try Self.file(header: good, dataBytes: 16, in: dir), []),
            (try Self.file(header: good, dataBytes: 10, in: dir), ["'w'", "outside the data section"]),
            (try Self.file(header: good, dataBytes: 16, headerLength: 1 << 40, in: dir), ["header length"]),
            (try Self.file(header: "{\"w\":", dataBytes: 16, in: dir), ["not valid JSON"]),
            (try Self.file(header: "[1,2]", dataBytes: 0, in: dir), ["not a JSON object"]),
            (
                try Self.file(
                    header: #"{"w":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#, dataBytes: 16, in: dir),
                ["'w'", "unsupported dtype I64"]
            ),
            (
                try Self.file(
                    header: #"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}}"#, dataBytes: 16, in: dir),
                ["'w'", "needs 24"]
            ),
            (
                try Self.file(
                    header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,16]}}"#, dataBytes: 16, in: dir),
                ["'w'", "invalid shape"]
            ),
            (
                try Self.file(
                    header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[8,4]}}"#, dataBytes: 16, in: dir),
                ["'w'", "data_offsets"]
            ),
            (
                try Self.file(header: #"{"w":{"dtype":"F32","shape":[4]}}"#, dataBytes: 16, in: dir),
                ["'w'", "data_offsets"]
            ),
            (try Self.file(header: #"{"__metadata__":{"a":1}}"#, dataBytes: 0, in: dir), ["__metadata__"])
        ]
        for (path, needles) in cases {
            let text = LoadingFixtures.errorText { _ = try SafetensorsFile.read(path: path) }
            if needles.isEmpty {
                #expect(text == "<no error>")
            } else {
                #expect(text.hasPrefix(path), "\(text)")
                for needle in needles { #expect(text.contains(needle), "\(text) should mention \(needle)") }
            }
        }
        let short = dir + "/short.safetensors"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: short))
        #expect(LoadingFixtures.errorText { _ = try SafetensorsFile.read(path: short) }.contains("too short"))
        #expect(
            LoadingFixtures.errorText { _ = try SafetensorsFile.read(path: dir + "/missing") }.contains("cannot open"))
    }
}

import Data
import Foundation
import Model
import Testing
@testable import Actors

/// Provenance (SHA-256, precision that ran, commit) and the validation split.
@Suite struct EvaluationTests {
    @Test func sha256MatchesTheStandardVectors() throws {
        #expect(SHA256.hex(of: Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // A million 'a', fed in uneven pieces.
        var s = SHA256()
        let a = [UInt8](repeating: 0x61, count: 1_000_000)
        var i = 0
        for n in [1, 63, 64, 65, 999, 4096].cycled(until: a.count) {
            let e = min(a.count, i + n); s.update(a[i..<e]); i = e
        }
        s.update(a[i...])
        #expect(SHA256.hex(s.finish()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // A file, read in 4 MiB pieces.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(a).write(to: URL(fileURLWithPath: path))
        #expect(try SHA256.file(path) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func provenanceSaysWhatRan() throws {
        var c = RunConfig()
        c.modelKind = .tiny
        c.precision = .bfloat16
        c.method = .fedhdsTurbo
        let p = Provenance.start(config: c)
        #expect(p.precisionRequested == "bf16")
        // What should run here, read from the CPU's flags independently of the Model module.
        let flags =
            (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }.map {
                Set($0.split(separator: " ").map(String.init))
            } ?? []
        let expected = flags.contains("amx_bf16") ? "amx-bf16" : flags.contains("avx512_bf16") ? "avx512-bf16" : "fp32"
        #expect(p.precision == (expected == "fp32" ? "fp32" : "bf16"))
        #expect(p.kernelPath == expected)
        #expect(p.model == "tiny random model (built in, model.kind = \"tiny\")" && p.modelSHA256 == nil)
        #expect(p.proxy == "base model (frozen)")
        c.proxyLayers = 8
        #expect(Provenance.start(config: c).proxy == "base model, first 8 layers (frozen)")
        #expect(Provenance.start(config: RunConfig()).proxy == "none")
        #expect(p.threads == ProcessInfo.processInfo.activeProcessorCount)
        #expect(p.cpuModel != "unknown" && !p.cpuModel.isEmpty)
        // The test binary lives in this repository's .build: the commit is its HEAD.
        let head = try #require(
            FedHDSVersion.git(
                ["rev-parse", "HEAD"], in: URL(fileURLWithPath: #filePath).deletingLastPathComponent().path))
        #expect(p.commit.hasPrefix(head), "commit \(p.commit), HEAD \(head)")
        let done = p.finished(since: Date().addingTimeInterval(-2))
        #expect(done.wallSeconds! >= 2 && done.cpuSeconds! > 0 && done.ended != nil)
        #expect(
            p.tomlComment.contains(
                expected == "fp32" ? "precision fp32 (bf16 requested" : "precision bf16, kernel path \(expected)"))
        // A model file's digest.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString).gguf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("abc".utf8).write(to: URL(fileURLWithPath: path))
        (c.modelPath, c.modelKind) = (path, .pretrained)
        #expect(Provenance.start(config: c).model == path)
        #expect(
            Provenance.start(config: c).modelSHA256
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    static func dolly() throws -> Dataset {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try DollyLoader.load(path: root.appendingPathComponent("data/dolly/databricks-dolly-15k.jsonl").path)
    }

    @Test func validationSplitComesFromTrainingCategoriesAndNoClientHoldsIt() throws {
        let dataset = try Self.dolly()
        var c = RunConfig()
        c.clients = 20
        c.evalSplit = .validation
        c.validationSamples = 300
        let (fed, validation) = try ModelCompute.dollyFederation(config: c, dataset: dataset)
        let v = try #require(validation)
        #expect(v.count == 300 && Set(v.map(\.id)).count == 300)
        #expect(!v.contains { $0.category == "summarization" })
        #expect(Set(v.map(\.category)).count >= 5)  // drawn across the training categories
        var clientIDs = Set<Int>()
        for k in 0..<fed.clientCount { for s in try fed.clientSamples(k) { clientIDs.insert(s.id) } }
        #expect(clientIDs.isDisjoint(with: v.map(\.id)))
        // Every other training sample is still some client's, and the test set is untouched.
        let test = try fed.evaluationSamples()
        #expect(clientIDs.count + v.count + test.count == dataset.samples.count)
        #expect(test.allSatisfy { $0.category == "summarization" })
        // Seeded: the same seed draws the same split, another seed another.
        #expect(try ModelCompute.dollyFederation(config: c, dataset: dataset).1!.map(\.id) == v.map(\.id))
        c.seed = 7
        #expect(try ModelCompute.dollyFederation(config: c, dataset: dataset).1!.map(\.id) != v.map(\.id))
    }

    @Test func testSplitKeepsThePartitionItAlwaysHad() throws {
        let dataset = try Self.dolly()
        var c = RunConfig()
        c.clients = 20
        c.validationSamples = 300  // ignored by the test split
        let (fed, validation) = try ModelCompute.dollyFederation(config: c, dataset: dataset)
        #expect(validation == nil)
        var prng = SeededGenerator(seed: c.seed, round: 0, client: -1, purpose: .partition)
        let before = try DollyFederation.make(
            dataset: dataset, clients: 20, split: .dirichlet(alpha: 0.5), heldOutCategory: 7,
            seed: c.seed, using: &prng)
        #expect(fed == before)
    }

    @Test func validationSplitIsDollyOnlyAndNamesItsKey() throws {
        #expect { try RunConfig.parse(toml: "[data]\ndataset = \"ni\"\n[eval]\nsplit = \"validation\"") } throws: {
            "\($0)".contains("eval.split")
        }
        #expect { try RunConfig.parse(toml: "[eval]\nsplit = \"train\"") } throws: { "\($0)".contains("eval.split") }
        let c = try RunConfig.parse(toml: "[data]\nvalidation_samples = 50\n[eval]\nsplit = \"validation\"")
        #expect(c.evalSplit == .validation && c.validationSamples == 50)
        #expect(try RunConfig.parse(toml: c.renderTOML()) == c)
    }
}

extension Array where Element == Int {
    /// The elements repeated until their sum would exceed `total`.
    func cycled(until total: Int) -> [Int] {
        var out: [Int] = [], sum = 0, i = 0
        while sum + self[i % count] <= total { out.append(self[i % count]); sum += self[i % count]; i += 1 }
        return out
    }
}

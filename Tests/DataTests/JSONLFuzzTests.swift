import Foundation
import Testing
import TestSupport
@testable import Data

/// The JSONL reader on mutated files: every input is read or refused with a `DataError`, never a
/// crash or a hang. FEDHDS_FUZZ_INPUTS sets the number of inputs (default 5,000 in the suite;
/// issue 16 ran 100,000).
@Suite struct JSONLFuzzTests {
    static var inputs: Int { Int(ProcessInfo.processInfo.environment["FEDHDS_FUZZ_INPUTS"] ?? "") ?? 5_000 }

    static let seeds: [[UInt8]] = [
        "{\"instruction\": \"Say hi.\", \"input\": \"\", \"output\": \"hi\", \"category\": \"open_qa\"}\n",
        "{\"instruction\": \"Sum.\", \"context\": \"1 2\", \"response\": \"3\"}\r\n{\"instruction\": \"x\", \"output\": \"\\u00e9\\ud83d\\ude00\"}\r\n",
        "\n  \n{\"instruction\": \"a\", \"output\": \"b\", \"extra\": [1, 2, {\"k\": null}]}\n{\"instruction\": null, \"output\": 5}\n",
        "{\"instruction\": \"\u{FEFF}bom\", \"output\": \"tab\\tand\\nnewline\", \"category\": \"closed_qa\"}"
    ].map { Array($0.utf8) }
    static let interesting: [UInt8] = [
        0x00, 0x0A, 0x0D, 0x20, 0x22, 0x2C, 0x3A, 0x5B, 0x5C, 0x5D, 0x7B, 0x7D, 0x80, 0xC3, 0xED, 0xF0, 0xFF
    ]

    static func mutate(_ seed: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var b = seed
        for _ in 0..<(1 + Int(rng.next() % 6)) {
            let at = b.isEmpty ? 0 : Int(rng.next() % UInt64(b.count))
            switch rng.next() % 7 {
            case 0 where !b.isEmpty: b[at] = UInt8(truncatingIfNeeded: rng.next())
            case 1 where !b.isEmpty: b[at] = interesting[Int(rng.next() % UInt64(interesting.count))]
            case 2: b.insert(interesting[Int(rng.next() % UInt64(interesting.count))], at: at)
            case 3 where !b.isEmpty: b.removeSubrange(at..<min(b.count, at + 1 + Int(rng.next() % 8)))
            case 4: b = Array(b.prefix(at))
            case 5: b += seeds[Int(rng.next() % UInt64(seeds.count))]
            default: b.insert(contentsOf: Array("\"output\": \"\\ud800\", ".utf8), at: at)
            }
        }
        return b
    }

    @Test func mutatedFilesAreReadOrRefusedWithATypedError() {
        var rng = SplitMix64(seed: 1_600)
        var read = 0, refused = 0
        let t0 = Date()
        for i in 0..<Self.inputs {
            let bytes = Self.mutate(Self.seeds[i % Self.seeds.count], &rng)
            let fields: JSONLFields = [.generic, .dolly, .instructionTuning][i % 3]
            do {
                let d = try JSONLLoader.load(
                    data: Data(bytes), path: "fuzz.jsonl", fields: fields,
                    allowedCategories: i % 5 == 0 ? ["open_qa"] : nil, policy: i % 2 == 0 ? .stop : .skip)
                read += 1
                #expect(d.samples.allSatisfy { $0.id >= 0 })
            } catch is DataError {
                refused += 1
            } catch {
                Issue.record("input \(i): untyped error \(error)")
            }
        }
        print(
            "JSONL fuzz: \(Self.inputs) inputs, \(read) read, \(refused) refused with DataError, 0 crashes, \(String(format: "%.1f", Date().timeIntervalSince(t0))) s"
        )
        #expect(read + refused == Self.inputs && read > 0 && refused > 0)
    }
}

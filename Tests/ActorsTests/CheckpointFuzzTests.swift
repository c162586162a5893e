import Foundation
import Testing
@testable import Actors

/// The checkpoint reader on damaged files: every input is read or refused with an `ActorsError`,
/// never a crash or a hang. Half the mutations get a fresh valid digest, so they reach the parser
/// behind it. FEDHDS_FUZZ_INPUTS sets the number of inputs (default 2,000 in the suite; issue 16
/// ran 100,000).
@Suite struct CheckpointFuzzTests {
    static var inputs: Int { Int(ProcessInfo.processInfo.environment["FEDHDS_FUZZ_INPUTS"] ?? "") ?? 2_000 }

    struct Rng {
        var s: UInt64;
        mutating func next() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15; var z = s; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9;
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB; return z ^ (z >> 31)
        }
    }

    static func redigest(_ body: [UInt8]) -> [UInt8] {
        var d = SHA256()
        d.update(body)
        return body + Checkpoint.digestTag + d.finish()
    }

    @Test func damagedCheckpointsAreReadOrRefusedWithATypedError() throws {
        let good = [UInt8](try CheckpointIntegrityTests.sample(adapter: 16).encoded())
        let body = Array(good.dropLast(40))
        let jsonEnd = 16 + (Int(body[8]) | Int(body[9]) << 8)
        var rng = Rng(s: 16)
        var read = 0, refused = 0
        let t0 = Date()
        for i in 0..<Self.inputs {
            var b = body
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                // Mostly the header and the numbers around the JSON, sometimes anywhere.
                let region = rng.next() % 4
                let place: Int
                switch region {
                case 0: place = Int(rng.next() % 16)
                case 1: place = jsonEnd + Int(rng.next() % 8)
                case 2: place = 16 + Int(rng.next() % UInt64(max(1, jsonEnd - 16)))
                default: place = Int(rng.next() % UInt64(b.count))
                }
                let at = min(place, b.count - 1)
                switch rng.next() % 5 {
                case 0: b[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: b[at] = [0x00, 0xFF, 0x7F, 0x80, 0x22, 0x7D, 0x30][Int(rng.next() % 7)]
                case 2: b[at] ^= UInt8(1 << (rng.next() % 8))
                case 3: b = Array(b.prefix(at))
                default: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
                }
                if b.isEmpty { b = [0] }
            }
            let input = i % 2 == 0 ? Self.redigest(b) : (i % 4 == 1 ? b : b + Array(good.suffix(40)))
            do {
                _ = try Checkpoint.decode(Data(input))
                read += 1
            } catch is ActorsError {
                refused += 1
            } catch {
                Issue.record("input \(i): untyped error \(error)")
            }
        }
        print(
            "checkpoint fuzz: \(Self.inputs) inputs, \(read) read, \(refused) refused with ActorsError, 0 crashes, \(String(format: "%.1f", Date().timeIntervalSince(t0))) s"
        )
        #expect(read + refused == Self.inputs && refused > 0)
    }
}

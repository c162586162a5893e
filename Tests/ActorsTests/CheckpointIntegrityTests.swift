import Foundation
import Testing
@testable import Actors

/// Checkpoints carry a SHA-256 digest; a damaged one is refused, an old one without a digest is
/// read unverified; no header value can crash the reader.
@Suite struct CheckpointIntegrityTests {
    static func sample(adapter: Int = 64) throws -> Checkpoint {
        var c = RunConfig()
        c.clients = 6
        c.rounds = 3
        let sampler = try ParticipantSampler(clients: 6, perRound: 2, rounds: 3, seed: 1, upfront: true)
        var m = RoundMetrics(round: 1)
        m.participants = [1, 4]
        m.faults = ["something odd"]
        return Checkpoint(
            config: c, round: 1, sampler: sampler, metrics: [m], evaluations: ["0": 0.125],
            elapsedSeconds: 3.5, adapter: (0..<adapter).map { Float($0) * 0.01 })
    }

    @Test func sha256MatchesTheStandardVectors() {
        #expect(SHA256.hex(of: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hex(of: [UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Split updates give the same digest as one.
        var s = SHA256()
        let text = Array("The quick brown fox jumps over the lazy dog, again and again and again.".utf8)
        for chunk in stride(from: 0, to: text.count, by: 7) { s.update(text[chunk..<min(chunk + 7, text.count)]) }
        #expect(
            s.finish()
                == {
                    var t = SHA256(); t.update(text); return t.finish()
                }())
    }

    @Test func aFlippedByteAnywhereIsRefusedSayingSo() throws {
        let cp = try Self.sample()
        let good = try cp.encoded()
        let back = try Checkpoint.decode(good)
        #expect(back == cp && back.verified)
        for at in stride(from: 0, to: good.count, by: 3) {
            var bad = good
            bad[at] ^= 0x10
            #expect(throws: ActorsError.self, "byte \(at) of \(good.count)") { try Checkpoint.decode(bad) }
        }
        // A flip in the adapter's floats is caught by the digest alone.
        var flipped = good
        flipped[good.count - 40 - 5] ^= 0x01
        #expect { try Checkpoint.decode(flipped) } throws: { "\($0)".contains("damaged") }
    }

    @Test func aCheckpointWithoutDigestIsReadUnverified() throws {
        let cp = try Self.sample()
        let old = try cp.encoded().dropLast(40)
        let back = try Checkpoint.decode(Data(old))
        #expect(!back.verified)
        #expect(back.adapter == cp.adapter && back.round == cp.round && back.metrics == cp.metrics)
    }

    @Test func headerNumbersCannotCrashTheReader() throws {
        let good = try Self.sample().encoded()
        for value in [UInt64.max, UInt64(Int.max), UInt64(Int.max) + 1, 1 << 62, UInt64(good.count), 0] {
            for field in [8, -1] {  // the JSON length; the float count (found by its position)
                var bad = [UInt8](good.dropLast(40))
                let json = Int(bad[8]) | Int(bad[9]) << 8 | Int(bad[10]) << 16
                let at = field >= 0 ? field : 16 + json
                for i in 0..<8 { bad[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
                #expect(throws: ActorsError.self) { try Checkpoint.decode(Data(bad)) }
            }
        }
    }
}

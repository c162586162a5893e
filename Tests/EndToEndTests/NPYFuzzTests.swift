import Foundation
import Testing
@testable import fedhds

/// The .npy reader on damaged files: every input is read or refused with `NPYFile.Failure`,
/// never a crash or a hang, and nothing is allocated beyond the bytes present. FEDHDS_FUZZ_INPUTS
/// sets the number of inputs (default 20,000 in the suite; issue 16 ran 100,000).
@Suite struct NPYFuzzTests {
    static var inputs: Int { Int(ProcessInfo.processInfo.environment["FEDHDS_FUZZ_INPUTS"] ?? "") ?? 20_000 }

    struct Rng {
        var s: UInt64;
        mutating func next() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15; var z = s; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9;
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB; return z ^ (z >> 31)
        }
    }

    static func file(header: String, major: UInt8 = 1, data: Int) -> [UInt8] {
        var h = Array(header.utf8)
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
        if major == 1 {
            out += [UInt8(h.count & 0xff), UInt8(h.count >> 8 & 0xff)]
        } else {
            out += [UInt8(h.count & 0xff), UInt8(h.count >> 8 & 0xff), 0, 0]
        }
        h += [UInt8](repeating: 0x3F, count: data)
        return out + h
    }

    @Test func impossibleShapesAreRefusedBeforeAllocating() throws {
        for shape in [
            "(100000000000, 100000000000)", "(4611686018427387904, 4)", "(-5, 10)", "(3, x)", "(9223372036854775807,)",
            "(2305843009213693952, 2)", "(1, 1, 1)", "()"
        ] {
            let bytes = Self.file(header: "{'descr': '<f8', 'fortran_order': False, 'shape': \(shape), }\n", data: 64)
            #expect(throws: NPYFile.Failure.self, "\(shape)") { try NPYFile.parse(Data(bytes)) }
        }
        let ok = NPYFile(rows: 2, cols: 3, values: [1, 2, 3, 4, 5, 6])
        #expect(try NPYFile.parse(ok.encoded()) == ok)
    }

    @Test func mutatedFilesAreReadOrRefusedWithATypedError() {
        let seeds: [[UInt8]] = [
            [UInt8](NPYFile(rows: 3, cols: 2, values: [1, 2, 3, 4, 5, 6]).encoded()),
            [UInt8](NPYFile(rows: 2, cols: 2, values: [1, 2, 3, 4], dtype: .float32).encoded()),
            Self.file(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n", major: 2, data: 24),
            Self.file(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }\n", data: 40)
        ]
        let digits = Array("0123456789-, ()x".utf8)
        var rng = Rng(s: 16)
        var read = 0, refused = 0
        let t0 = Date()
        for i in 0..<Self.inputs {
            var b = seeds[i % seeds.count]
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let headerEnd = min(b.count, 80)
                let at =
                    rng.next() % 3 == 0
                    ? Int(rng.next() % UInt64(max(1, b.count))) : Int(rng.next() % UInt64(max(1, headerEnd)))
                guard at < b.count else { b.append(0); continue }
                switch rng.next() % 5 {
                case 0: b[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: b[at] = digits[Int(rng.next() % UInt64(digits.count))]
                case 2: b.insert(digits[Int(rng.next() % UInt64(digits.count))], at: at)
                case 3: b = Array(b.prefix(at))
                default: b.remove(at: at)
                }
            }
            do {
                let f = try NPYFile.parse(Data(b))
                #expect(f.values.count == f.rows * f.cols && f.values.count * 4 <= b.count)
                read += 1
            } catch is NPYFile.Failure {
                refused += 1
            } catch {
                Issue.record("input \(i): untyped error \(error)")
            }
        }
        print(
            ".npy fuzz: \(Self.inputs) inputs, \(read) read, \(refused) refused with NPYFile.Failure, 0 crashes, \(String(format: "%.1f", Date().timeIntervalSince(t0))) s"
        )
        #expect(read + refused == Self.inputs && read > 0 && refused > 0)
    }
}

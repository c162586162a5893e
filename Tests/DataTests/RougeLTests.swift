import Foundation
import Testing
@testable import Data

struct RougePair: Decodable {
    var hyp: String
    var ref: String
    var f: Double
    var raised: String?
}

@Suite struct RougeLTests {
    @Test func equalsPythonRouge101OnGoldenPairs() throws {
        let pairs = try TestPaths.goldenJSONL("rouge_l_pairs.jsonl", as: RougePair.self)
        #expect(pairs.count >= 1000)
        var worst = 0.0
        var failures = 0
        var raised = 0
        var sum = 0.0
        for (k, pair) in pairs.enumerated() {
            let hyp = pair.hyp, ref = pair.ref
            let expected = pair.f
            if pair.raised != nil { raised += 1 }
            let got = RougeL.score(hypothesis: hyp, reference: ref)
            sum += got
            let diff = abs(got - expected)
            worst = max(worst, diff)
            if diff > 1e-9 {
                failures += 1
                if failures <= 5 {
                    Issue.record(
                        "pair \(k): got \(got), rouge 1.0.1 gives \(expected); hyp=\(hyp.prefix(80).debugDescription) ref=\(ref.prefix(80).debugDescription)"
                    )
                }
            }
        }
        print("rouge-l on \(pairs.count) golden pairs: largest |ours - rouge 1.0.1| = \(worst)")
        #expect(failures == 0)
        #expect(worst <= 1e-9)
        #expect(raised > 10)  // the golden does cover the package's ValueError cases (scored 0)
        let expectedMean = pairs.map(\.f).reduce(0, +) / Double(pairs.count)
        let mean = try RougeL.mean(hypotheses: pairs.map(\.hyp), references: pairs.map(\.ref))
        #expect(abs(mean - expectedMean) < 1e-12)
        #expect(abs(mean - sum / Double(pairs.count)) < 1e-12)
    }

    @Test func emptyAndDotOnlyScoreZero() {
        #expect(RougeL.score(hypothesis: "", reference: "a b") == 0)
        #expect(RougeL.score(hypothesis: "a b", reference: "") == 0)
        #expect(RougeL.score(hypothesis: "...", reference: "a") == 0)
    }

    @Test func handWorkedExample() {
        // ref words {the, cat, sat}, hyp words {the, cat, ran}: LCS "the cat" -> p = r = 2/3.
        let f = RougeL.score(hypothesis: "the cat ran", reference: "the cat sat")
        let p = 2.0 / 3.0
        #expect(f == 2.0 * ((p * p) / (p + p + 1e-8)))
        // Case and punctuation matter in rouge 1.0.1.
        #expect(RougeL.score(hypothesis: "The cat,", reference: "the cat") < 0.51)
        #expect(RougeL.score(hypothesis: "same", reference: "same") > 0.99999999)
        // Code points, not canonical equivalence: precomposed and decomposed e-acute differ, and
        // U+FEFF is part of a word (not whitespace).
        #expect(RougeL.score(hypothesis: "caf\u{E9}", reference: "cafe\u{301}") == 0)
        #expect(RougeL.score(hypothesis: "\u{FEFF}bom start", reference: "bom start") < 0.51)
    }

    @Test func meanRejectsMismatchedLists() {
        #expect(throws: DataError.self) { try RougeL.mean(hypotheses: ["a"], references: []) }
    }
}

@Suite struct RougePairsFileTests {
    @Test func readsTheGoldenFileAndReportsBadLines() throws {
        let path = TestPaths.golden.appendingPathComponent("rouge_l_pairs.jsonl").path
        let pairs = try RougePairsFile.load(path: path)
        #expect(pairs.count == 1059)
        #expect(pairs[0].line == 1)
        let mean = try RougeL.mean(hypotheses: pairs.map(\.hyp), references: pairs.map(\.ref))
        #expect(abs(mean - 0.7490259309960594) < 1e-12)  // the Python mean of the golden's "f"
        let bad = try TestPaths.temporaryFile(#"{"hyp": "a", "ref": "b"}"# + "\n\n" + #"{"hyp": "a"}"# + "\n")
        #expect(throws: DataError.missingField(path: bad, line: 3, field: "ref")) { try RougePairsFile.load(path: bad) }
        let notJSON = try TestPaths.temporaryFile("hyp ref\n")
        #expect(throws: DataError.self) { try RougePairsFile.load(path: notJSON) }
    }
}

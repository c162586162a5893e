import Foundation
import Testing
@testable import Data

@Suite struct BadInputTests {
    static let good = #"{"instruction": "Say hi", "context": "", "response": "hi", "category": "open_qa"}"#

    @Test func missingFileIsNamed() throws {
        #expect(throws: DataError.fileNotFound(path: "/nonexistent/dolly.jsonl")) {
            try DollyLoader.load(path: "/nonexistent/dolly.jsonl")
        }
        #expect(throws: DataError.fileNotFound(path: "/nonexistent/tasks/t.json")) {
            try NaturalInstructionsLoader.loadTask(path: "/nonexistent/tasks/t.json")
        }
        #expect(throws: DataError.fileNotFound(path: "/nonexistent/splits/default/train_tasks.txt")) {
            try NaturalInstructionsLoader.loadSplits(root: "/nonexistent")
        }
        #expect(throws: DataError.fileNotFound(path: "/nonexistent/p.json")) {
            try Partition.read(from: "/nonexistent/p.json")
        }
        #expect(throws: DataError.fileNotFound(path: "/nonexistent")) { try DataPaths.root(explicit: "/nonexistent") }
    }

    @Test func lineThatIsNotJSONIsReportedWithFileAndLine() throws {
        let path = try TestPaths.temporaryFile([Self.good, "", "{not json", Self.good].joined(separator: "\n") + "\n")
        do {
            _ = try DollyLoader.load(path: path)
            Issue.record("expected an error")
        } catch let DataError.malformedJSON(file, line, _) {
            #expect(file == path)
            #expect(line == 3)  // the blank line 2 is ignored but counted
        }
        let skipped = try DollyLoader.load(path: path, policy: .skip)
        #expect(skipped.samples.map(\.id) == [0, 2])  // ids stay tied to record positions
        #expect(skipped.skipped.count == 1)
        #expect(skipped.skipped[0].description.contains(":3:"))
        // A JSON value that is not an object.
        let array = try TestPaths.temporaryFile("[1, 2]\n")
        #expect(throws: DataError.malformedJSON(path: array, line: 1, reason: "not a JSON object")) {
            try DollyLoader.load(path: array)
        }
    }

    @Test func missingFieldIsNamed() throws {
        let noResponse = #"{"instruction": "x", "context": "", "category": "open_qa"}"#
        let numberInstruction = #"{"instruction": 5, "context": "", "response": "r", "category": "open_qa"}"#
        let path = try TestPaths.temporaryFile([Self.good, noResponse, numberInstruction].joined(separator: "\n"))
        #expect(throws: DataError.missingField(path: path, line: 2, field: "response")) {
            try DollyLoader.load(path: path)
        }
        let skipped = try DollyLoader.load(path: path, policy: .skip)
        #expect(skipped.samples.count == 1)
        #expect(
            skipped.skipped == [
                DataError.missingField(path: path, line: 2, field: "response"),
                DataError.missingField(path: path, line: 3, field: "instruction")
            ])
        // Generic JSONL: input and category optional, output required.
        let generic = try TestPaths.temporaryFile(
            #"{"instruction": "i", "output": "o"}"# + "\n" + #"{"instruction": "i", "input": "x"}"#)
        #expect(throws: DataError.missingField(path: generic, line: 2, field: "output")) {
            try JSONLLoader.load(path: generic)
        }
        let loaded = try JSONLLoader.load(path: generic, policy: .skip)
        #expect(loaded.samples == [Sample(id: 0, instruction: "i", input: "", output: "o", category: "")])
        // NI instance without output; task without Definition.
        let task = try TestPaths.temporaryFile(
            #"{"Definition": ["d"], "Instances": [{"input": "a", "output": ["b"]}, {"input": "c"}]}"#, name: "t.json")
        #expect(throws: DataError.missingField(path: task, line: 2, field: "output")) {
            try NaturalInstructionsLoader.loadTask(path: task)
        }
        #expect(try NaturalInstructionsLoader.loadTask(path: task, policy: .skip).task.instances.count == 1)
        let noDefinition = try TestPaths.temporaryFile(#"{"Instances": []}"#, name: "t.json")
        #expect(throws: DataError.missingField(path: noDefinition, line: 0, field: "Definition")) {
            try NaturalInstructionsLoader.loadTask(path: noDefinition)
        }
        let badJSON = try TestPaths.temporaryFile(#"{"Definition": ["d"], "Instances": [}"#, name: "t.json")
        #expect(throws: DataError.self) { try NaturalInstructionsLoader.loadTask(path: badJSON) }
    }

    @Test func unknownCategoryIsRejected() throws {
        let odd = #"{"instruction": "x", "context": "", "response": "r", "category": "poetry"}"#
        let path = try TestPaths.temporaryFile([Self.good, odd].joined(separator: "\n"))
        #expect(throws: DataError.unknownCategory(path: path, line: 2, category: "poetry")) {
            try DollyLoader.load(path: path)
        }
        #expect(try DollyLoader.load(path: path, policy: .skip).samples.count == 1)
        // Generic files accept any category unless a set is given.
        let fields = JSONLFields.dolly
        #expect(try JSONLLoader.load(path: path, fields: fields).samples.count == 2)
        #expect(throws: DataError.self) {
            try JSONLLoader.load(path: path, fields: fields, allowedCategories: ["open_qa"])
        }
    }

    @Test func errorsReadWell() {
        #expect(
            DataError.malformedJSON(path: "f.jsonl", line: 3, reason: "x").description == "f.jsonl:3: not valid JSON: x"
        )
        #expect(
            DataError.unknownCategory(path: "f.jsonl", line: 2, category: "poetry").description
                == "f.jsonl:2: unknown category \"poetry\"")
    }

    @Test func gammaDrawsHaveTheRightMoments() throws {
        // Gamma(k, 1) has mean k and variance k; check both regimes of Marsaglia-Tsang.
        var g = SplitMix64(seed: 11)
        for shape in [0.5, 5.0] {
            let n = 200_000
            var sum = 0.0, sumSq = 0.0
            for _ in 0..<n {
                let x = Dirichlet.gamma(shape: shape, using: &g)
                sum += x
                sumSq += x * x
            }
            let mean = sum / Double(n), variance = sumSq / Double(n) - mean * mean
            #expect(abs(mean - shape) < 0.02 * shape + 0.01, "shape \(shape): mean \(mean)")
            #expect(abs(variance - shape) < 0.05 * shape + 0.02, "shape \(shape): variance \(variance)")
        }
        let p = try Dirichlet.sample(alpha: 0.5, count: 200, using: &g)
        #expect(abs(p.reduce(0, +) - 1) < 1e-12)
        #expect(throws: DataError.self) { try Dirichlet.sample(alpha: 0, count: 3, using: &g) }
    }
}

import Foundation
import Testing
@testable import Data

struct NICounts: Decodable {
    var train_tasks_in_split: Int
    var test_tasks_in_split: Int
    var train: [String: Int]
    var test: [String: Int]
    var train_missing: Int
    var test_missing: Int
    var train_too_small: [String]
    var train_too_long: Int
    var test_too_long: Int
}

@Suite struct NaturalInstructionsTests {
    static let root = TestPaths.dataRoot + "/natural-instructions"

    static func make(seed: UInt64) throws -> (data: FederatedDataset, report: NIReport) {
        var g = SplitMix64(seed: seed)
        return try NaturalInstructionsFederation.make(root: root, seed: seed, using: &g)
    }

    @Test func splitListsAreTheOfficialOnes() throws {
        let splits = try NaturalInstructionsLoader.loadSplits(root: Self.root)
        #expect(splits.train.count == 756)
        #expect(splits.test.count == 119)
        #expect(Set(splits.train).isDisjoint(with: splits.test))
    }

    @Test func countsAfterTheFiltersMatchTheReferenceRules() throws {
        let golden = try JSONDecoder().decode(
            NICounts.self, from: Data(contentsOf: TestPaths.golden.appendingPathComponent("ni_counts.json")))
        let (f, report) = try Self.make(seed: 42)
        print(report)
        #expect(report.trainTasksInSplit == golden.train_tasks_in_split)
        #expect(report.testTasksInSplit == golden.test_tasks_in_split)
        #expect(report.trainTasksMissing.count == golden.train_missing)
        #expect(report.testTasksMissing.count == golden.test_missing)
        #expect(report.trainTasksTooSmall.sorted() == golden.train_too_small.sorted())
        #expect(report.trainInstancesTooLong == golden.train_too_long)
        #expect(report.testInstancesTooLong == golden.test_too_long)
        #expect(report.clients == golden.train.count)
        #expect(report.trainInstancesKept == golden.train.values.reduce(0, +))
        #expect(report.testInstancesKept == golden.test.values.reduce(0, +))
        #expect(report.testTasksUsed == 103)
        for (c, name) in f.partition.clientNames.enumerated() {
            #expect(f.partition.clients[c].count == golden.train[name], "client \(name)")
        }
        var evalPerTask: [String: Int] = [:]
        for s in try f.evaluationSamples() { evalPerTask[s.category, default: 0] += 1 }
        #expect(evalPerTask == golden.test)
        // task957 has 2,161 instances: max(20, floor(0.02 * 2161)) = 43.
        #expect(evalPerTask["task957_e2e_nlg_text_generation_generate"] == 43)
    }

    @Test func noEvaluationTaskLeaksIntoTraining() throws {
        let splits = try NaturalInstructionsLoader.loadSplits(root: Self.root)
        let (f, _) = try Self.make(seed: 1)
        let test = Set(splits.test), train = Set(splits.train)
        #expect(Set(f.partition.clientNames).isDisjoint(with: test))
        #expect(Set(f.partition.clientNames).isSubset(of: train))
        for c in 0..<f.clientCount {
            let s = try f.clientSamples(c)
            #expect(s.allSatisfy { $0.category == f.partition.clientNames[c] && $0.input.unicodeScalars.count < 1024 })
        }
        let evaluation = try f.evaluationSamples()
        #expect(evaluation.allSatisfy { test.contains($0.category) && $0.input.unicodeScalars.count < 1024 })
        #expect(Set(f.partition.evaluation).isDisjoint(with: f.partition.clients.joined()))
    }

    @Test func seededAndReproducible() throws {
        let a = try Self.make(seed: 5).data.partition, b = try Self.make(seed: 5).data.partition
        let c = try Self.make(seed: 6).data.partition
        #expect(a == b)
        #expect(a.clients != c.clients)
    }

    @Test func manifestReappliesToTheReloadedData() throws {
        let (f, _) = try Self.make(seed: 12)
        let path = try TestPaths.temporaryFile("", name: "ni-partition.json")
        try f.partition.write(to: path)
        // The dataset (ids) does not depend on the seed: any reload can take the manifest.
        let reloaded = try Self.make(seed: 99).data.dataset
        let again = try FederatedDataset(dataset: reloaded, partition: Partition.read(from: path))
        #expect(try again.clientSamples(3) == f.clientSamples(3))
        #expect(try again.evaluationSamples() == f.evaluationSamples())
        #expect(again.partition.clientNames == f.partition.clientNames)
    }

    @Test func definitionAsPlainStringOrList() throws {
        let (old, _) = try NaturalInstructionsLoader.loadTask(
            path: NaturalInstructionsLoader.taskPath(root: Self.root, task: "task304_numeric_fused_head_resolution"))
        #expect(old.definition.hasPrefix("In this task, you will use your knowledge about language"))
        let (new, _) = try NaturalInstructionsLoader.loadTask(
            path: NaturalInstructionsLoader.taskPath(root: Self.root, task: "task1393_superglue_copa_text_completion"))
        #expect(new.instances.count == 496)
        #expect(!new.definition.isEmpty && !new.definition.hasPrefix("["))
    }

    /// A small synthetic layout: exact filter boundaries, a task in both lists, a missing file.
    @Test func filtersOnASyntheticLayout() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedhds-ni-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/splits/default", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/tasks", withIntermediateDirectories: true)
        func task(_ name: String, definition: String, inputs: [String]) throws {
            let instances = inputs.enumerated().map {
                ["input": $0.element, "output": ["out\($0.offset)", "alt"]] as [String: Any]
            }
            let object: [String: Any] = [
                "Definition": definition == "list" ? ["Def of \(name)"] as Any : definition as Any,
                "Instances": instances
            ]
            try JSONSerialization.data(withJSONObject: object).write(
                to: URL(fileURLWithPath: dir + "/tasks/\(name).json"))
        }
        let short = String(repeating: "x", count: 1023), long = String(repeating: "y", count: 1024)
        try task("trainA", definition: "list", inputs: Array(repeating: short, count: 50) + [long, long])  // 50 short -> 10 kept
        try task("trainSmall", definition: "plain definition", inputs: Array(repeating: "i", count: 19) + [long])  // 19 -> skipped
        try task("shared", definition: "list", inputs: Array(repeating: "s", count: 40))  // in both lists
        try task("testA", definition: "list", inputs: Array(repeating: "t", count: 21) + [long])  // 21 > 20 -> 20
        try task("testB", definition: "list", inputs: Array(repeating: "u", count: 7))  // <= 20 -> all 7
        try "trainA\ntrainSmall\nshared\nnotThere\n".write(
            toFile: dir + "/splits/default/train_tasks.txt", atomically: true, encoding: .utf8)
        try "testA\nshared\ntestB\nmissingTest\n".write(
            toFile: dir + "/splits/default/test_tasks.txt", atomically: true, encoding: .utf8)
        var g = SplitMix64(seed: 9)
        let (f, report) = try NaturalInstructionsFederation.make(root: dir, using: &g)
        #expect(f.partition.clientNames == ["trainA"])
        #expect(f.partition.clients[0].count == 10)
        #expect(report.trainTasksTooSmall == ["trainSmall"])
        #expect(report.trainTasksMissing == ["notThere"])
        #expect(report.testTasksMissing == ["missingTest"])
        #expect(report.tasksInBothSplits == ["shared"])
        #expect(report.trainInstancesTooLong == 3)
        #expect(report.testInstancesTooLong == 1)
        let evaluation = try f.evaluationSamples()
        #expect(evaluation.filter { $0.category == "testA" }.count == 20)
        #expect(evaluation.filter { $0.category == "testB" }.count == 7)
        #expect(evaluation.filter { $0.category == "shared" }.count == 20)  // evaluated, never trained
        #expect(try f.clientSamples(0).allSatisfy { $0.instruction == "Def of trainA" && $0.output.hasPrefix("out") })
        var options = NIOptions()
        options.evalSubsampling = false
        var g2 = SplitMix64(seed: 9)
        let (all, _) = try NaturalInstructionsFederation.make(root: dir, options: options, using: &g2)
        #expect(all.partition.evaluation.count == 21 + 40 + 7)
    }
}

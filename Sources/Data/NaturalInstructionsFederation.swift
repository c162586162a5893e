import Foundation

/// Natural Instructions as the paper federates it: every kept training task is one client, the
/// test tasks of the split are the held-out evaluation set.
public enum NaturalInstructionsFederation {
    /// Loads the split lists and task files under `root` (nil: the shipped copy) and draws the
    /// partition. Training tasks are processed in split order, then test tasks, so that one
    /// generator gives one partition. Sample ids run over the instances of the loaded task files in
    /// that order (training tasks, then test tasks; all instances, including dropped ones).
    public static func make(
        root: String? = nil, options: NIOptions = NIOptions(), policy: MalformedLinePolicy = .stop,
        seed: UInt64? = nil,
        using generator: inout some RandomNumberGenerator
    ) throws -> (data: FederatedDataset, report: NIReport) {
        let folder = try root ?? DataPaths.naturalInstructionsRoot()
        guard options.trainFraction > 0, options.trainFraction <= 1, options.evalFraction >= 0,
            options.evalFraction <= 1,
            options.maxInputCharacters > 0, options.minTrainInstances >= 0, options.evalMinimum >= 0
        else {
            throw DataError.invalidArgument("Natural Instructions options out of range: \(options)")
        }
        let splits = try NaturalInstructionsLoader.loadSplits(root: folder, split: options.split)
        var report = NIReport()
        report.trainTasksInSplit = splits.train.count
        report.testTasksInSplit = splits.test.count
        let testSet = Set(splits.test)
        report.tasksInBothSplits = splits.train.filter { testSet.contains($0) }

        var samples: [Sample] = []
        var clientNames: [String] = []
        var clients: [[Int]] = []
        var evaluation: [Int] = []
        var skipped: [DataError] = []

        func load(_ task: String) throws -> NITask? {
            let path = NaturalInstructionsLoader.taskPath(root: folder, task: task)
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            let (loaded, bad) = try NaturalInstructionsLoader.loadTask(path: path, policy: policy)
            skipped += bad
            report.malformedInstances += bad.count
            return loaded
        }
        /// Appends the task's instances as samples; returns the ids of those with a short input.
        func add(_ task: NITask) -> (short: [Int], long: Int) {
            var short: [Int] = []
            var long = 0
            for instance in task.instances {
                let id = samples.count
                samples.append(
                    Sample(
                        id: id, instruction: task.definition, input: instance.input,
                        output: instance.outputs[0], category: task.name))
                if instance.input.unicodeScalars.count < options.maxInputCharacters {
                    short.append(id)
                } else {
                    long += 1
                }
            }
            return (short, long)
        }

        for name in splits.train where !testSet.contains(name) {
            if let cap = options.maxClients, clients.count >= cap { break }
            guard let task = try load(name) else {
                report.trainTasksMissing.append(name)
                continue
            }
            let (short, long) = add(task)
            report.trainInstancesLoaded += task.instances.count
            report.trainInstancesTooLong += long
            if short.count < options.minTrainInstances {
                report.trainTasksTooSmall.append(name)
                continue
            }
            let keep = Int(Double(short.count) * options.trainFraction)
            let chosen = RandomDraws.choose(keep, of: short.count, using: &generator).sorted().map { short[$0] }
            report.trainInstancesKept += chosen.count
            clientNames.append(name)
            clients.append(chosen)
        }
        for name in splits.test {
            guard let task = try load(name) else {
                report.testTasksMissing.append(name)
                continue
            }
            let (short, long) = add(task)
            report.testTasksUsed += 1
            report.testInstancesLoaded += task.instances.count
            report.testInstancesTooLong += long
            var chosen = short
            if options.evalSubsampling && short.count > options.evalMinimum {
                let keep = max(options.evalMinimum, Int(options.evalFraction * Double(short.count)))
                chosen = RandomDraws.choose(keep, of: short.count, using: &generator).sorted().map { short[$0] }
            }
            report.testInstancesKept += chosen.count
            evaluation += chosen
        }
        report.clients = clients.count
        guard !clients.isEmpty else {
            throw DataError.partitionFailed(
                "no Natural Instructions training task under \(folder) has \(options.minTrainInstances) instances with input shorter than \(options.maxInputCharacters) characters"
            )
        }
        var parameters: [String: String] = [
            "maxInputCharacters": String(options.maxInputCharacters),
            "minTrainInstances": String(options.minTrainInstances),
            "trainFraction": String(options.trainFraction),
            "evalSubsampling": String(options.evalSubsampling),
            "evalMinimum": String(options.evalMinimum),
            "evalFraction": String(options.evalFraction),
            "split": options.split
        ]
        if let cap = options.maxClients { parameters["maxClients"] = String(cap) }
        let dataset = Dataset(name: "natural-instructions", samples: samples, skipped: skipped)
        let partition = Partition(
            dataset: dataset.name, method: "ni-tasks", seed: seed, parameters: parameters,
            sampleCount: samples.count, clientNames: clientNames, clients: clients,
            evaluation: evaluation)
        return (try FederatedDataset(dataset: dataset, partition: partition), report)
    }
}

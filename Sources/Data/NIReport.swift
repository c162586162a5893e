/// What the Natural Instructions preprocessing kept and dropped, task by task and in totals.
public struct NIReport: Sendable, Equatable, Codable, CustomStringConvertible {
    public var trainTasksInSplit = 0
    public var testTasksInSplit = 0
    /// Split entries with no task file under `tasks/`.
    public var trainTasksMissing: [String] = []
    public var testTasksMissing: [String] = []
    /// Tasks named in both lists: kept for evaluation only, never trained on.
    public var tasksInBothSplits: [String] = []
    /// Training tasks with fewer than `minTrainInstances` instances after the length filter.
    public var trainTasksTooSmall: [String] = []
    public var trainInstancesLoaded = 0
    public var trainInstancesTooLong = 0
    public var trainInstancesKept = 0
    public var testTasksUsed = 0
    public var testInstancesLoaded = 0
    public var testInstancesTooLong = 0
    public var testInstancesKept = 0
    public var clients = 0
    /// Instances left out as malformed under `MalformedLinePolicy.skip`.
    public var malformedInstances = 0

    public init() {}

    public var description: String {
        """
        Natural Instructions after the filters:
          train split: \(trainTasksInSplit) tasks, \(trainTasksMissing.count) without a file, \(tasksInBothSplits.count) also in the test split, \(trainTasksTooSmall.count) with too few instances -> \(clients) clients
          train instances: \(trainInstancesLoaded) loaded, \(trainInstancesTooLong) with too long input, \(trainInstancesKept) kept
          test split: \(testTasksInSplit) tasks, \(testTasksMissing.count) without a file -> \(testTasksUsed) evaluation tasks
          test instances: \(testInstancesLoaded) loaded, \(testInstancesTooLong) with too long input, \(testInstancesKept) kept for evaluation
          malformed instances skipped: \(malformedInstances)
        """
    }
}

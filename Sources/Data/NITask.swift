/// One Natural Instructions task file: its Definition and instances.
public struct NITask: Sendable, Equatable {
    /// The task name (file name without `.json`).
    public var name: String
    /// `Definition[0]`, or the Definition itself in old-format files where it is a plain string.
    public var definition: String
    public var categories: [String]
    public var instances: [NIInstance]

    public init(name: String, definition: String, categories: [String], instances: [NIInstance]) {
        self.name = name
        self.definition = definition
        self.categories = categories
        self.instances = instances
    }
}

/// One instance of a task: its input and reference outputs (FedHDS uses `outputs[0]`).
public struct NIInstance: Sendable, Equatable {
    public var input: String
    public var outputs: [String]

    public init(input: String, outputs: [String]) {
        self.input = input
        self.outputs = outputs
    }
}

/// The task names of a split (`splits/<name>/train_tasks.txt` and `test_tasks.txt`).
public struct NISplits: Sendable, Equatable {
    public var train: [String]
    public var test: [String]

    public init(train: [String], test: [String]) {
        self.train = train
        self.test = test
    }
}

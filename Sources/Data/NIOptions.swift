/// The preprocessing of Natural Instructions in the FedHDS reference (docs/ALGORITHM.md, Data).
public struct NIOptions: Sendable, Equatable {
    /// Instances whose input has this many characters (Unicode code points) or more are dropped.
    public var maxInputCharacters: Int = 1024
    /// A training task left with fewer instances than this is skipped.
    public var minTrainInstances: Int = 20
    /// Fraction of each training task's instances kept (floor(n * fraction), drawn at random).
    public var trainFraction: Double = 0.2
    /// Subsample test tasks with more than `evalMinimum` instances to max(evalMinimum, floor(evalFraction * n)).
    public var evalSubsampling: Bool = true
    public var evalMinimum: Int = 20
    public var evalFraction: Double = 0.02
    /// Stop after this many training clients (nil: all tasks), as the reference's `num_clients`.
    public var maxClients: Int? = nil
    /// The split folder under `splits/`.
    public var split: String = "default"

    public init() {}
}

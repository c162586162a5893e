import Foundation
import Model

/// Row-major `count x width` feature vectors of a client's samples.
public struct FeatureMatrix: Sendable, Equatable {
    public var count: Int
    public var width: Int
    public var values: [Float]
    public init(count: Int, width: Int, values: [Float]) {
        self.count = count
        self.width = width
        self.values = values
    }
}

/// What local training returned.
public struct TrainOutcome: Sendable, Equatable {
    public var adapter: [Float]
    /// Mean train loss over the batches (NaN batches skipped); nil when nothing was trained.
    public var loss: Double?
    public var batches: Int
    public init(adapter: [Float], loss: Double?, batches: Int) {
        self.adapter = adapter
        self.loss = loss
        self.batches = batches
    }
}

/// The model-dependent work of one process over ONE shared read-only base model: the clients'
/// features and training (workers), the initial adapter and the evaluation (server).
/// `ModelCompute` is the real one (Model + Data modules); the runtime tests use a small
/// arithmetic stand-in so that the protocol (deadlines, drops, resume, determinism) is tested
/// apart from the numerics.
public protocol FederatedCompute: Sendable {
    /// Length of the flat adapter parameter vector.
    var adapterSize: Int { get }
    /// Clients of the partition.
    var clientCount: Int { get }
    /// Local samples of a client.
    func localCount(client: Int) throws -> Int
    /// ALGORITHM.md step 2: last-token features of every local sample (all L + 1 slots, or the last).
    /// `adapter` is the global adapter for `.global`, nil for the frozen proxy.
    func features(
        client: Int, adapter: [Float]?, model: MethodPlan.FeatureModel,
        layers: MethodPlan.Layers
    ) async throws -> FeatureMatrix
    /// Tokens of each local sample as `model`'s tokenizer makes them (after `data.max_length`):
    /// what features, perplexity scoring and training run through the model, which the simulated
    /// clock charges. Default: none (stand-ins without a tokenizer).
    func tokenCounts(client: Int, model: MethodPlan.FeatureModel) throws -> [Int]
    /// Perplexity of each local sample under the global model (Perplexity baseline).
    func perplexities(client: Int, adapter: [Float]) async throws -> [Double]
    /// ALGORITHM.md step 8: one epoch over `samples` (in this order) from `adapter`; fresh optimizer.
    func train(
        client: Int, round: Int, samples: [Int], adapter: [Float],
        optimizer: MethodPlan.Optimizer
    ) async throws -> TrainOutcome
    /// The global adapter before round 1 (LoRA initialisation from the run seed).
    func initialAdapter() throws -> [Float]
    /// Where each projection's LoRA factors sit in the flat adapter (FlexLoRA's server step
    /// reads them). Default: nil, for stand-ins without a model.
    var adapterLayout: LoRAAdapter? { get }
    /// ALGORITHM.md step 10: mean Rouge-L F of greedy decoding on the held-out samples.
    func evaluate(adapter: [Float]) async throws -> Double
    /// `evaluate` with each held-out sample's prediction (predictions.jsonl); its score is the
    /// mean of the predictions' Rouge-L. Default: the score alone, no predictions.
    func evaluateWithPredictions(adapter: [Float]) async throws -> EvaluationOutcome
    /// Mean response-token loss on the held-out samples.
    func testLoss(adapter: [Float]) async throws -> Double
    /// Writes the final adapter into `folder` (created).
    func saveAdapter(_ parameters: [Float], to folder: URL) throws
}

extension FederatedCompute {
    public var adapterLayout: LoRAAdapter? { nil }

    public func tokenCounts(client: Int, model: MethodPlan.FeatureModel) throws -> [Int] {
        [Int](repeating: 0, count: try localCount(client: client))
    }

    /// Default adapter file: raw little-endian float32 (`adapter.f32`). `ModelCompute` writes
    /// a PEFT safetensors adapter instead.
    public func saveAdapter(_ parameters: [Float], to folder: URL) throws {
        var data = Data(capacity: 4 * parameters.count)
        for f in parameters { withUnsafeBytes(of: f.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        try AtomicFile.write(data, to: folder.appendingPathComponent("adapter.f32"))
    }
}

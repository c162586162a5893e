import Synchronization

/// One model's frozen weights with everything its products read and the threads they run on, built
/// once and handed to every runner over it: `Decoder`s (features, generation, evaluation) and
/// `LoRATrainer`s (the clients of a run) made with `init(runtime:)` share it. Nothing here is a global:
/// the passes read the runtime they are given, and it lives exactly as long as its users.
///
/// - With `precision: .bfloat16` on a CPU with AMX-BF16 or AVX512-BF16, init packs a bfloat16 copy of
///   every projection and of the output matrix (`BF16Weights`, `W^T`) and the compact 4- or 8-bit
///   copies for decoding steps (`CompactWeights`); the first trainer adds the backward orientation
///   (`BF16TrainingWeights`, `W`). The float32 weights stay for the float32 path, LoRA merging and
///   training.
/// - Threads: OpenBLAS's worker count is process-wide, so only the owner of the process sets it, by
///   calling `prepareForTraining` (a run's `ModelCompute`, `fedhds train`): with bfloat16 products it
///   sets 1, because OpenBLAS workers spin after each call and take the cores from our own work items
///   (measured on 2 shared cores: a 256-token SmolLM2 bf16 step used 20-50% more CPU with 2 OpenBLAS
///   threads, and was slower); attention then spreads its heads over the cores instead
///   (`parallelHeads`). A trainer made over the runtime packs what it needs but leaves the threads.
///
/// `@unchecked Sendable`: everything is immutable after init but the backward packs, which are made
/// once under `lock` and then only read.
public final class ModelRuntime: @unchecked Sendable {
    public let weights: ModelWeights
    /// The precision asked for; `effectivePrecision` is what runs.
    public let precision: Precision
    /// The kernels of the bfloat16 products (meaningful only with `bf16`).
    let bf16Kernel: BF16Kernel
    /// Why the weights cannot run, found once here and thrown by every decoder call.
    let weightProblem: ModelError?
    /// Packed bfloat16 weights (forward orientation), present exactly when bfloat16 products run.
    let bf16: BF16Weights?
    /// Exact compact copies of the weights that have them (a quantised GGUF's), present only with `bf16`.
    let compact: CompactWeights?
    /// The backward orientation for training, made by the first trainer.
    private let training = Mutex<BF16TrainingWeights?>(nil)
    /// Attention heads spread over the cores by the training pass: only when OpenBLAS runs
    /// single-threaded, else its own threads parallelise each head's products.
    private let singleBLASThread = Atomic<Bool>(false)

    /// `.bfloat16` when the packed bfloat16 weights are in use, else `.float32` (float32 asked for,
    /// neither AMX-BF16 nor AVX512-BF16 on this CPU, or weights that cannot run).
    public var effectivePrecision: Precision { bf16 == nil ? .float32 : .bfloat16 }

    /// "amx-bf16", "avx512-bf16" or "fp32": the kernels the frozen products run on.
    public var kernelPath: String { bf16 == nil ? "fp32" : bf16Kernel.name }

    public convenience init(weights: ModelWeights, precision: Precision = .float32) {
        self.init(weights: weights, precision: precision, bf16Kernel: nil)
    }

    /// `bf16Kernel` forces a bfloat16 path (tests run every path this CPU has); it must be
    /// available here. Nil picks the fastest.
    init(weights: ModelWeights, precision: Precision, bf16Kernel: BF16Kernel?) {
        self.weights = weights
        self.precision = precision
        let kernel = bf16Kernel ?? BF16Kernel.best
        self.bf16Kernel = kernel ?? .portable
        let problem = Decoder.check(weights)
        weightProblem = problem
        bf16 = problem == nil && precision == .bfloat16 && kernel != nil ? BF16Weights(weights: weights) : nil
        compact = bf16 != nil ? CompactWeights(weights: weights) : nil
        singleBLASThread.store(BLASThreads.count == 1, ordering: .relaxed)
    }

    /// Readies the process for training on this runtime: packs the backward orientation (if not yet)
    /// and, with bfloat16 products, sets OpenBLAS to one thread (see the type's notes). The owner of
    /// the process calls it once up front, so that every phase runs with the same threads. Returns
    /// the packed weights (nil on the float32 path).
    @discardableResult
    public func prepareForTraining() -> BF16TrainingWeights? {
        guard let packed = trainingWeights() else { return nil }
        BLASThreads.set(1)
        singleBLASThread.store(true, ordering: .relaxed)
        return packed
    }

    /// The packed weights a trainer's frozen products read (nil on the float32 path), packed on first use.
    func trainingWeights() -> BF16TrainingWeights? {
        guard let bf16 else { return nil }
        return training.withLock { cached in
            if let cached { return cached }
            let made = BF16TrainingWeights(weights: weights, forward: bf16)
            cached = made
            return made
        }
    }

    /// Whether the training pass spreads attention heads over the cores itself.
    var parallelHeads: Bool { singleBLASThread.load(ordering: .relaxed) && LinearKernel.workers > 1 }
}

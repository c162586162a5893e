/// LoRA instruction tuning of one frozen model: loss, gradient and optimizer steps over
/// tokenized examples. The weights are shared read-only (many clients may use one trainer, or
/// trainers over the same `ModelWeights`, at once); every call owns its workspace.
public struct LoRATrainer: Sendable {
    /// The frozen weights, their packed copies and the threads, shared with the other runners over them.
    public let runtime: ModelRuntime
    public var weights: ModelWeights { runtime.weights }
    public let lora: LoRAConfig
    public var optimizer: OptimizerConfig
    /// Examples are cut to this many tokens (docs/ALGORITHM.md step 2: max_length 1024).
    public var maxLength: Int
    /// Token id used to pad batches (padding is never a target and never attended by real tokens).
    public var padToken: Int
    /// The precision asked for. `.bfloat16` runs the frozen weights' products (projections and LM
    /// head, forward and backward) in bfloat16 on AMX or AVX512-BF16 with float32 sums; LoRA factors, their
    /// gradients, attention, norms, the loss and the optimizer stay float32. Without either it runs
    /// as `.float32` (see `effectivePrecision`).
    public var precision: Precision { runtime.precision }
    /// What runs: `precision.effective`.
    public var effectivePrecision: Precision { packed == nil ? .float32 : .bfloat16 }
    /// The kernels of the bfloat16 products (meaningful only with `packed`).
    var bf16Kernel: BF16Kernel { runtime.bf16Kernel }
    /// "amx-bf16", "avx512-bf16" or "fp32": the kernels this trainer's frozen products run on.
    public var kernelPath: String { packed == nil ? "fp32" : bf16Kernel.name }
    /// The packed bfloat16 weights (bfloat16 only), the runtime's, shared with every trainer over it.
    let packed: BF16TrainingWeights?

    /// A trainer with its own runtime. With `precision: .bfloat16` (and AMX or AVX512-BF16) the weights'
    /// packed bfloat16 copy is made here (about 4 bytes per matrix weight, a second or two for SmolLM2).
    public init(
        weights: ModelWeights, lora: LoRAConfig, optimizer: OptimizerConfig, maxLength: Int = 1024,
        precision: Precision = .float32
    ) {
        self.init(
            runtime: ModelRuntime(weights: weights, precision: precision), lora: lora, optimizer: optimizer,
            maxLength: maxLength)
    }

    /// A trainer over `runtime` (its precision and packed weights, made once for every trainer over it).
    public init(runtime: ModelRuntime, lora: LoRAConfig, optimizer: OptimizerConfig, maxLength: Int = 1024) {
        self.runtime = runtime
        self.lora = lora
        self.optimizer = optimizer
        self.maxLength = maxLength
        self.padToken = runtime.weights.config.eosTokenId ?? 0
        self.packed = runtime.trainingWeights()
    }

    /// `bf16Kernel` forces a bfloat16 path (tests run every path this CPU has; it must be available
    /// here). Nil picks the fastest.
    init(
        weights: ModelWeights, lora: LoRAConfig, optimizer: OptimizerConfig, maxLength: Int = 1024,
        precision: Precision = .float32, bf16Kernel: BF16Kernel?
    ) {
        self.init(
            runtime: ModelRuntime(weights: weights, precision: precision, bf16Kernel: bf16Kernel), lora: lora,
            optimizer: optimizer, maxLength: maxLength)
    }

    /// A new adapter for this model, initialised as PEFT does (A uniform, B zero).
    public func makeAdapter<G: RandomNumberGenerator>(using rng: inout G) -> LoRAAdapter {
        LoRAAdapter.peftInitialized(config: lora, model: weights.config, using: &rng)
    }

    // MARK: passes

    private func check(_ adapter: LoRAAdapter) throws {
        guard adapter.config == lora else {
            throw ModelError.adapterMismatch("adapter config \(adapter.config) differs from the trainer's \(lora)")
        }
        try adapter.validate(for: weights.config)
        let arch = weights.config.definition
        guard weights.layers.count == weights.config.layerCount,
            weights.layers.allSatisfy({ layer in arch.projections.allSatisfy { layer.projections[$0] != nil } }),
            arch.positions != .learned || weights.positionEmbedding != nil,
            arch.norm != .layer
                || (weights.layers.allSatisfy { $0.attentionNorm.bias != nil && $0.mlpNorm.bias != nil }
                    && weights.finalNorm.bias != nil)
        else {
            throw ModelError.invalidInput("the weights lack layers, projections or norms their config declares")
        }
    }

    private func prepared(_ examples: [TrainingExample]) throws -> TrainingBatch {
        let cut = examples.map { $0.truncated(to: maxLength) }
        if weights.config.definition.positions == .learned,
            let long = cut.first(where: { $0.tokens.count > weights.config.contextLength })
        {
            throw ModelError.invalidInput(
                "sequence of \(long.tokens.count) tokens exceeds the context of \(weights.config.contextLength)")
        }
        return try TrainingBatch(examples: cut, vocabSize: weights.config.vocabSize, padToken: padToken)
    }

    private func run<R>(
        _ batch: TrainingBatch, adapter: LoRAAdapter, gradient: UnsafeMutablePointer<Float>?,
        seeds: [[Projection: UInt64]], dropout: Float, _ body: (TransformerPass) -> R
    ) -> R {
        var views = [[Projection: LoRAView]](repeating: [:], count: weights.config.layerCount)
        for v in adapter.views { views[v.layer][v.projection] = v }
        let scratch = packed.map { _ in
            BF16Operand.Scratch(
                count: TransformerPass.bf16ScratchCount(config: weights.config, rows: batch.batch * batch.seqLen))
        }
        return WeightPointers.with(weights) { wp in
            adapter.parameters.withUnsafeBufferPointer { params in
                withExtendedLifetime(scratch) {
                    body(
                        TransformerPass(
                            config: weights.config, weights: wp, lora: adapter.config, views: views,
                            parameters: params.baseAddress!, gradient: gradient, dropout: dropout,
                            seeds: seeds, batch: batch, packed: packed, bf16Scratch: scratch?.pointer,
                            bf16Kernel: bf16Kernel, parallelHeads: runtime.parallelHeads))
                }
            }
        }
    }

    /// Mean next-token cross-entropy over the target tokens of `examples` (one padded batch, no
    /// dropout). Throws when no example has a target token left after truncation.
    public func loss(examples: [TrainingExample], adapter: LoRAAdapter) throws -> Float {
        try check(adapter)
        let batch = try prepared(examples)
        guard !batch.targets.isEmpty else {
            throw ModelError.invalidInput("no response tokens to predict after truncation to \(maxLength) tokens")
        }
        let sum = run(batch, adapter: adapter, gradient: nil, seeds: [], dropout: 0) { $0.lossAndGradient() }
        return Float(sum / Double(batch.targets.count))
    }

    /// Loss and its gradient with respect to every adapter parameter (same layout as
    /// `adapter.parameters`) for one padded batch. LoRA dropout is on when `training` is true;
    /// its masks are drawn from `rng`.
    public func lossAndGradient<G: RandomNumberGenerator>(
        examples: [TrainingExample], adapter: LoRAAdapter,
        training: Bool = true,
        using rng: inout G
    ) throws -> (loss: Float, gradient: [Float]) {
        try check(adapter)
        let batch = try prepared(examples)
        guard !batch.targets.isEmpty else {
            throw ModelError.invalidInput("no response tokens to predict after truncation to \(maxLength) tokens")
        }
        let dropout = training ? adapter.config.dropout : 0
        var seeds: [[Projection: UInt64]] = []
        if dropout > 0 {
            for _ in 0..<weights.config.layerCount {
                var s: [Projection: UInt64] = [:]
                for p in adapter.config.targets { s[p] = rng.next() }
                seeds.append(s)
            }
        }
        var gradient = [Float](repeating: 0, count: adapter.parameters.count)
        let sum = gradient.withUnsafeMutableBufferPointer { g in
            run(batch, adapter: adapter, gradient: g.baseAddress!, seeds: seeds, dropout: dropout) {
                $0.lossAndGradient()
            }
        }
        return (Float(sum / Double(batch.targets.count)), gradient)
    }

    /// Logits `[tokens.count, V]` (row-major) of one sequence with the adapter applied (nil: the
    /// base model), without dropout.
    public func logits(tokens: [Int], adapter: LoRAAdapter?) throws -> [Float] {
        let adapter = adapter ?? LoRAAdapter(config: lora, model: weights.config)
        try check(adapter)
        let batch = try prepared([TrainingExample(tokens: tokens, lossMask: tokens.map { _ in false })])
        return run(batch, adapter: adapter, gradient: nil, seeds: [], dropout: 0) { $0.logits() }
    }

    // MARK: training

    /// One optimizer step on one batch: skipped (and reported) when the loss or the gradient is
    /// not finite, in which case `adapter` is left untouched.
    public func step<G: RandomNumberGenerator>(
        examples: [TrainingExample], adapter: inout LoRAAdapter,
        state: inout OptimizerState, index: Int = 0,
        using rng: inout G
    ) throws -> StepReport {
        let batch = try prepared(examples)
        var (loss, gradient) = try lossAndGradient(examples: examples, adapter: adapter, using: &rng)
        var report = StepReport(
            step: index, loss: loss, targetTokens: batch.targets.count,
            tokens: examples.map { min($0.tokens.count, maxLength) }.reduce(0, +),
            gradientNorm: nil, skipped: false)
        guard loss.isFinite, gradient.allSatisfy({ $0.isFinite }) else {
            report.skipped = true
            return report
        }
        report.gradientNorm = state.apply(gradient: &gradient, to: &adapter.parameters)
        return report
    }

    /// Trains `adapter` for `epochs` passes over `examples` in batches of `batchSize`, with a
    /// fresh optimizer state (as the reference creates a new optimizer every round). Examples
    /// with no target token after truncation are left out and reported; steps with a non-finite
    /// loss are skipped and reported. `shuffle` draws the order of each epoch from `rng`.
    /// `onStep` sees every step as it finishes (e.g. to print the loss).
    public func train<G: RandomNumberGenerator>(
        examples: [TrainingExample], epochs: Int = 1,
        adapter: inout LoRAAdapter, batchSize: Int = 1,
        shuffle: Bool = false, using rng: inout G,
        onStep: ((StepReport) -> Void)? = nil
    ) throws -> EpochReport {
        guard batchSize > 0 else { throw ModelError.invalidInput("batch size must be positive, got \(batchSize)") }
        guard epochs >= 0 else { throw ModelError.invalidInput("epochs must be >= 0, got \(epochs)") }
        try check(adapter)
        var report = EpochReport()
        var usable: [Int] = []
        for (i, e) in examples.enumerated() {
            if e.tokens.count != e.lossMask.count {
                report.skippedExamples.append(
                    SkippedExample(index: i, reason: "loss mask length differs from token count"))
            } else if e.truncated(to: maxLength).targetCount == 0 {
                report.skippedExamples.append(
                    SkippedExample(index: i, reason: "no response tokens after truncation to \(maxLength) tokens"))
            } else {
                usable.append(i)
            }
        }
        var state = OptimizerState(config: optimizer, parameterCount: adapter.parameters.count)
        var stepIndex = 0
        for _ in 0..<epochs {
            let order = shuffle ? usable.shuffled(using: &rng) : usable
            var start = 0
            while start < order.count {
                let chunk = order[start..<min(start + batchSize, order.count)].map { examples[$0] }
                let s = try step(examples: chunk, adapter: &adapter, state: &state, index: stepIndex, using: &rng)
                report.steps.append(s)
                onStep?(s)
                stepIndex += 1
                start += batchSize
            }
        }
        return report
    }

    /// One epoch (see `train`).
    public func trainEpoch<G: RandomNumberGenerator>(
        examples: [TrainingExample], adapter: inout LoRAAdapter,
        batchSize: Int = 1, using rng: inout G
    ) throws -> EpochReport {
        try train(examples: examples, epochs: 1, adapter: &adapter, batchSize: batchSize, using: &rng)
    }
}

import Foundation

/// How adapter parameters are updated from their gradient.
public struct OptimizerConfig: Sendable {
    public enum Kind: String, Sendable, Codable { case adam, sgd }

    public var kind: Kind
    /// Base learning rate (used when `schedule` is nil).
    public var learningRate: Float
    /// Adam's moment decays and epsilon (PyTorch defaults 0.9, 0.999, 1e-8; no weight decay).
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// Clip the global L2 norm of the gradient to this value before the update (nil: no clipping),
    /// as `torch.nn.utils.clip_grad_norm_` does.
    public var maxGradNorm: Float?
    /// Learning rate of optimizer step s (0-based); overrides `learningRate` when set.
    public var schedule: (@Sendable (Int) -> Float)?

    public init(
        kind: Kind = .adam, learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, maxGradNorm: Float? = nil, schedule: (@Sendable (Int) -> Float)? = nil
    ) {
        self.kind = kind
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.maxGradNorm = maxGradNorm
        self.schedule = schedule
    }

    public static func adam(learningRate: Float) -> OptimizerConfig {
        OptimizerConfig(kind: .adam, learningRate: learningRate)
    }
    public static func sgd(learningRate: Float) -> OptimizerConfig {
        OptimizerConfig(kind: .sgd, learningRate: learningRate)
    }

    func learningRate(at step: Int) -> Float { schedule?(step) ?? learningRate }
}

/// Optimizer state over one flat parameter vector: Adam's moments (fresh for each round, as the
/// reference makes a new optimizer per round) or nothing for SGD.
public struct OptimizerState: Sendable {
    public let config: OptimizerConfig
    /// Steps taken so far (Adam's bias correction uses step + 1).
    public private(set) var step: Int = 0
    private var m: [Float]
    private var v: [Float]

    public init(config: OptimizerConfig, parameterCount: Int) {
        self.config = config
        let n = config.kind == .adam ? parameterCount : 0
        m = [Float](repeating: 0, count: n)
        v = [Float](repeating: 0, count: n)
    }

    /// Global L2 norm of a gradient.
    public static func norm(_ g: [Float]) -> Float {
        var s: Double = 0
        for x in g { s += Double(x) * Double(x) }
        return Float(s.squareRoot())
    }

    /// Applies one update to `parameters` from `gradient` (clipped first when configured).
    /// Returns the gradient norm before clipping.
    @discardableResult
    public mutating func apply(gradient: inout [Float], to parameters: inout [Float]) -> Float {
        let norm = OptimizerState.norm(gradient)
        if let maxNorm = config.maxGradNorm {
            let coef = maxNorm / (norm + 1e-6)
            if coef < 1 { for i in gradient.indices { gradient[i] *= coef } }
        }
        let lr = config.learningRate(at: step)
        step += 1
        switch config.kind {
        case .sgd:
            for i in parameters.indices { parameters[i] -= lr * gradient[i] }
        case .adam:
            let b1 = config.beta1, b2 = config.beta2, eps = config.epsilon
            let bc1 = 1 - Float(pow(Double(b1), Double(step)))
            let bc2Sqrt = Float((1 - pow(Double(b2), Double(step))).squareRoot())
            let stepSize = lr / bc1
            m.withUnsafeMutableBufferPointer { mp in
                v.withUnsafeMutableBufferPointer { vp in
                    parameters.withUnsafeMutableBufferPointer { pp in
                        gradient.withUnsafeBufferPointer { gp in
                            for i in 0..<pp.count {
                                let g = gp[i]
                                mp[i] = b1 * mp[i] + (1 - b1) * g
                                vp[i] = b2 * vp[i] + (1 - b2) * g * g
                                let denom = vp[i].squareRoot() / bc2Sqrt + eps
                                pp[i] -= stepSize * mp[i] / denom
                            }
                        }
                    }
                }
            }
        }
        return norm
    }
}

import Foundation

/// t-distributed stochastic neighbour embedding with scikit-learn 1.5's defaults and schedule:
/// perplexity calibration, early exaggeration 12 for 250 iterations with momentum 0.5, then
/// momentum 0.8; gains (+0.2 / x0.8, minimum 0.01); learning rate "auto" = max(n / 12 / 4, 50);
/// PCA initialisation scaled to standard deviation 1e-4; convergence checks every 50 iterations
/// (no progress for 250 / 300 iterations, gradient norm <= 1e-7); Barnes-Hut or exact gradient.
public struct TSNE: Sendable {
    public enum Method: Sendable, Equatable { case barnesHut, exact }
    public enum Initialization: Sendable, Equatable { case pca, random }

    public var components: Int
    /// Perplexity; nil means min(30, n - 1) (FedHDS's rule).
    public var perplexity: Double?
    public var earlyExaggeration: Double
    /// Learning rate; nil means "auto".
    public var learningRate: Double?
    public var maxIterations: Int
    public var iterationsWithoutProgress: Int
    public var minGradientNorm: Double
    public var method: Method
    public var angle: Double
    public var initialization: Initialization
    /// Worker threads for the Barnes-Hut repulsive forces.
    public var threads: Int

    public init(
        components: Int = 2, perplexity: Double? = nil, earlyExaggeration: Double = 12,
        learningRate: Double? = nil, maxIterations: Int = 1000, iterationsWithoutProgress: Int = 300,
        minGradientNorm: Double = 1e-7, method: Method = .barnesHut, angle: Double = 0.5,
        initialization: Initialization = .pca, threads: Int = 2
    ) {
        self.components = components
        self.perplexity = perplexity
        self.earlyExaggeration = earlyExaggeration
        self.learningRate = learningRate
        self.maxIterations = maxIterations
        self.iterationsWithoutProgress = iterationsWithoutProgress
        self.minGradientNorm = minGradientNorm
        self.method = method
        self.angle = angle
        self.initialization = initialization
        self.threads = threads
    }

    static let explorationIterations = 250
    static let checkEvery = 50

    /// Embeds the rows of `x`. Needs at least 2 rows (the perplexity min(30, n - 1) is 0 at n = 1).
    /// `rng` is used only by the random initialisation.
    public func fit(_ x: Matrix, using rng: inout some RandomNumberGenerator) throws -> TSNEResult {
        try x.checkFinite(name: "t-SNE input")
        let n = x.rows
        guard n >= 2 else {
            throw SelectionError.invalidInput("t-SNE needs at least 2 samples, got \(n)")
        }
        guard x.cols >= 1 else { throw SelectionError.invalidInput("t-SNE input has no columns") }
        guard components >= 1, components <= 3 || method == .exact else {
            throw SelectionError.invalidParameter("t-SNE components must be 1...3 for Barnes-Hut, got \(components)")
        }
        guard components >= 1 else { throw SelectionError.invalidParameter("t-SNE components must be >= 1") }
        let perp = perplexity ?? min(30, Double(n - 1))
        guard perp > 0, perp < Double(n) else {
            throw SelectionError.invalidParameter("t-SNE perplexity \(perp) must be in (0, \(n))")
        }
        guard angle >= 0, angle <= 1 else {
            throw SelectionError.invalidParameter("t-SNE angle \(angle) must be in [0, 1]")
        }
        guard maxIterations >= TSNE.explorationIterations else {
            throw SelectionError.invalidParameter("t-SNE max iterations must be >= 250, got \(maxIterations)")
        }
        let rate = learningRate ?? max(Double(n) / earlyExaggeration / 4, 50)
        let dims = components

        let trace = SelectionTrace("t-SNE n=\(n) d=\(x.cols)")
        let centred = PairwiseDistances.centred(x)
        let gram = PairwiseDistances.gram(centred)
        let sq = PairwiseDistances.squaredDistances(gram: gram, n: n)
        trace.mark("gram + distances")
        var objective: Objective
        switch method {
        case .exact:
            objective = .exact(TSNEAffinities.exact(squaredDistances: sq, n: n, perplexity: perp))
        case .barnesHut:
            let k = min(n - 1, Int(3 * perp + 1))
            objective = .barnesHut(
                TSNEAffinities.nearestNeighbours(
                    squaredDistances: sq, n: n, k: k,
                    perplexity: perp))
        }

        trace.mark("affinities")
        var y = [Double](repeating: 0, count: n * dims)
        switch initialization {
        case .random:
            for t in y.indices { y[t] = 1e-4 * TSNE.standardNormal(&rng) }
        case .pca:
            y = try TSNE.pcaInit(centred: centred, gram: gram, n: n, dims: dims)
        }

        trace.mark("initialisation")
        objective.scale(by: earlyExaggeration)
        var state = Descent(y: y, iteration: 0)
        var kl = descend(
            &state, objective: objective, maxIterations: TSNE.explorationIterations,
            momentum: 0.5, rate: rate, withoutProgress: TSNE.explorationIterations, dims: dims, n: n)
        objective.scale(by: 1 / earlyExaggeration)
        if state.iteration < TSNE.explorationIterations || maxIterations - TSNE.explorationIterations > 0 {
            state.iteration += 1
            kl = descend(
                &state, objective: objective, maxIterations: maxIterations, momentum: 0.8, rate: rate,
                withoutProgress: iterationsWithoutProgress, dims: dims, n: n)
        }
        trace.mark("optimisation")
        return TSNEResult(
            embedding: Matrix(unchecked: n, dims, state.y), klDivergence: kl,
            iterations: state.iteration + 1)
    }

    enum Objective {
        case exact([Double])
        case barnesHut(SparseP)

        mutating func scale(by f: Double) {
            switch self {
            case var .exact(p):
                for t in p.indices { p[t] *= f }
                self = .exact(p)
            case var .barnesHut(p):
                for t in p.values.indices { p.values[t] *= f }
                self = .barnesHut(p)
            }
        }
    }

    struct Descent {
        var y: [Double]
        var iteration: Int
    }

    /// scikit-learn's `_gradient_descent` from `state.iteration` up to `maxIterations`.
    private func descend(
        _ state: inout Descent, objective: Objective, maxIterations: Int, momentum: Double,
        rate: Double, withoutProgress: Int, dims: Int, n: Int
    ) -> Double {
        var update = [Double](repeating: 0, count: n * dims)
        var gains = [Double](repeating: 1, count: n * dims)
        var error = Double.greatestFiniteMagnitude
        var bestError = Double.greatestFiniteMagnitude
        var bestIteration = state.iteration
        var i = state.iteration
        while i < maxIterations {
            let check = (i + 1) % TSNE.checkEvery == 0
            let computeError = check || i == maxIterations - 1
            var grad: [Double]
            switch objective {
            case let .exact(p):
                (error, grad) = TSNEGradient.exact(state.y, n: n, dims: dims, p: p, computeError: computeError)
            case let .barnesHut(p):
                (error, grad) = TSNEGradient.barnesHut(
                    state.y, n: n, dims: dims, p: p, theta: angle,
                    computeError: computeError, threads: threads)
            }
            for t in grad.indices {
                if update[t] * grad[t] < 0 { gains[t] += 0.2 } else { gains[t] *= 0.8 }
                if gains[t] < 0.01 { gains[t] = 0.01 }
                grad[t] *= gains[t]
                update[t] = momentum * update[t] - rate * grad[t]
                state.y[t] += update[t]
            }
            if check {
                var norm = 0.0
                for g in grad { norm += g * g }
                norm = norm.squareRoot()
                if error < bestError {
                    bestError = error
                    bestIteration = i
                } else if i - bestIteration > withoutProgress {
                    break
                }
                if norm <= minGradientNorm { break }
            }
            i += 1
        }
        state.iteration = min(i, maxIterations - 1)
        return error
    }

    /// The first `dims` principal components of the centred rows, divided by the standard
    /// deviation of the first and multiplied by 1e-4 (scikit-learn's "pca" init). All-equal
    /// rows (no variance) give the zero embedding.
    static func pcaInit(centred: Matrix, gram: [Double], n: Int, dims: Int) throws -> [Double] {
        // The eigensolver's iteration cap only matters above 600 samples; scikit-learn itself uses
        // a randomized solver (7 power iterations) there.
        let pca = try PCA(components: dims, maxIterations: 200)
            .fit(centred: centred, mean: [Double](repeating: 0, count: centred.cols), gram: gram)
        let k = pca.scores.cols
        var y = [Double](repeating: 0, count: n * dims)
        for i in 0..<n { for a in 0..<k { y[i * dims + a] = Double(Float(pca.scores[i, a])) } }
        var mean = 0.0
        for i in 0..<n { mean += y[i * dims] }
        mean /= Double(n)
        var variance = 0.0
        for i in 0..<n { variance += (y[i * dims] - mean) * (y[i * dims] - mean) }
        let std = (variance / Double(n)).squareRoot()
        guard std > 0 else { return [Double](repeating: 0, count: n * dims) }
        for t in y.indices { y[t] = y[t] / std * 1e-4 }
        return y
    }

    static func standardNormal(_ rng: inout some RandomNumberGenerator) -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &rng)
        let u2 = Double.random(in: 0..<1, using: &rng)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// A t-SNE embedding (n x components), its final KL divergence and the iterations run.
public struct TSNEResult: Sendable, Equatable {
    public let embedding: Matrix
    public let klDivergence: Double
    public let iterations: Int
}

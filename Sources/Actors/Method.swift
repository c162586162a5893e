/// The methods of docs/ALGORITHM.md's table that the runtime can run. Each is a configuration of the same
/// round protocol: which feature model, which fusion, whether the server clusters centroids, and
/// how a client picks its training data (see `MethodPlan`).
public enum Method: String, Sendable, Codable, CaseIterable {
    case fedhds = "fedhds"
    case fedhdsTurbo = "fedhds-turbo"
    case fedit = "fedit"
    case feditSGD = "fedit-sgd"
    /// FlexLoRA (Bai et al., NeurIPS 2024): all local data; the server averages the full updates
    /// B·A and truncates the mean back to rank r by SVD.
    case flexLoRA = "flexlora"
    case random = "random"
    case perplexity = "perplexity"
    case coresetCent = "coreset-cent"
    case globalSelect = "globalselect"
    case globalSelectTurbo = "globalselect-turbo"
    /// Ablation: intra-client selection only (nearest sample to each local centroid).
    case fedhdsNoInter = "fedhds-no-inter"
    /// Ablation: no inter-client step, last-layer features only.
    case fedhdsLastLayer = "fedhds-last-layer"
    /// Ablation: fusion by PCA instead of t-SNE.
    case fedhdsPCA = "fedhds-pca"
    /// Ablation: fusion by (linear) Kernel PCA instead of t-SNE.
    case fedhdsKPCA = "fedhds-kpca"

    /// How this method runs, as data the round protocol reads.
    public var plan: MethodPlan {
        switch self {
        case .fedhds:
            return MethodPlan(
                selection: .hierarchical, featureModel: .global, fusion: .tsne, interClient: true, layers: .all)
        case .fedhdsTurbo:
            return MethodPlan(
                selection: .hierarchical, featureModel: .proxy, fusion: .tsne, interClient: true, layers: .all)
        case .fedit: return MethodPlan(selection: .all, featureModel: .none, optimizer: .adam)
        case .feditSGD: return MethodPlan(selection: .all, featureModel: .none, optimizer: .sgd)
        case .flexLoRA: return MethodPlan(selection: .all, featureModel: .none, aggregation: .flexLoRA)
        case .random: return MethodPlan(selection: .random, featureModel: .none)
        case .perplexity: return MethodPlan(selection: .perplexity, featureModel: .none)
        case .coresetCent: return MethodPlan(selection: .coresetCent, featureModel: .global, layers: .last)
        case .globalSelect: return MethodPlan(selection: .global, featureModel: .global, fusion: .tsne, layers: .all)
        case .globalSelectTurbo:
            return MethodPlan(selection: .global, featureModel: .proxy, fusion: .tsne, layers: .all)
        case .fedhdsNoInter:
            return MethodPlan(
                selection: .hierarchical, featureModel: .global, fusion: .tsne, interClient: false, layers: .all)
        case .fedhdsLastLayer:
            return MethodPlan(
                selection: .hierarchical, featureModel: .global, fusion: .tsne, interClient: false, layers: .last)
        case .fedhdsPCA:
            return MethodPlan(
                selection: .hierarchical, featureModel: .global, fusion: .pca, interClient: true, layers: .all)
        case .fedhdsKPCA:
            return MethodPlan(
                selection: .hierarchical, featureModel: .global, fusion: .kernelPCA, interClient: true, layers: .all)
        }
    }
}

/// What a method does in each step of the round.
public struct MethodPlan: Sendable, Equatable {
    public enum Selection: String, Sendable, Equatable {
        /// FedHDS: intra-client fusion + HDBSCAN, optional inter-client HDBSCAN on centroids.
        case hierarchical
        /// All local data (FedIT).
        case all
        /// A random fraction of local data.
        case random
        /// The fraction with the lowest perplexity under the global model.
        case perplexity
        /// Coreset-Cent: ONE k-means on every client's last-layer features (sent to the server
        /// once, before round 1), a fixed fraction; each round the server tells each participant
        /// its chosen samples (a centralised, privacy-violating upper reference).
        case coresetCent
        /// All fused features to the server, one global clustering (privacy-breaking ablation).
        case global
    }
    public enum FeatureModel: String, Sendable, Equatable { case none, global, proxy }
    public enum Fusion: String, Sendable, Equatable {
        case tsne, pca
        case kernelPCA = "kpca"
    }
    public enum Layers: String, Sendable, Equatable { case all, last }
    public enum Optimizer: String, Sendable, Equatable, Codable { case adam, sgd }
    /// How the server combines the updates: FedAvg of the flat parameters (A and B averaged
    /// separately), or FlexLoRA's rank-r SVD of the mean product B·A (`FlexLoRA`).
    public enum Aggregation: String, Sendable, Equatable {
        case fedAvg = "fedavg"
        case flexLoRA = "flexlora"
    }

    public var selection: Selection
    public var featureModel: FeatureModel
    public var fusion: Fusion = .tsne
    public var interClient: Bool = false
    public var layers: Layers = .all
    public var optimizer: Optimizer = .adam
    public var aggregation: Aggregation = .fedAvg

    /// Whether clients send centroids (or features) and wait for the server's choice (a
    /// two-phase round). Coreset-Cent's select phase is an empty acknowledgement after round 0.
    public var hasSelectionPhase: Bool {
        selection == .hierarchical || selection == .global || selection == .coresetCent
    }
}

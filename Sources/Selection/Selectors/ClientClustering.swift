/// What a client keeps after its intra-client step: the fused points, HDBSCAN's labels and
/// probabilities, and each local cluster's weighted centroid in the fused space.
public struct ClientClustering: Sendable, Equatable {
    /// One row per local sample, in the fused space.
    public let fused: Matrix
    /// -1 for noise, else the local cluster id 0..<clusterCount.
    public let labels: [Int]
    public let probabilities: [Double]
    /// `centroids[c]` = weighted centroid of local cluster c.
    public let centroids: [[Double]]
    /// The t-SNE KL divergence, when t-SNE was the fusion.
    public let klDivergence: Double?

    public var clusterCount: Int { centroids.count }

    public init(fused: Matrix, labels: [Int], probabilities: [Double], centroids: [[Double]], klDivergence: Double?) {
        self.fused = fused
        self.labels = labels
        self.probabilities = probabilities
        self.centroids = centroids
        self.klDivergence = klDivergence
    }

    /// How the id sent along with each centroid is chosen.
    public enum Pairing: Sendable, Equatable {
        /// Centroid c is sent with id c (correct).
        case ownCluster
        /// The reference code's defect: centroid i is sent with the label of SAMPLE i
        /// (`zip(cluster_labels, centroids)`), which can be another cluster's id or -1.
        case referenceSampleLabel
    }

    /// The (id, centroid) pairs the client sends to the server (before any DP noise).
    public func outgoing(pairing: Pairing = .ownCluster) -> [(id: Int, centroid: [Double])] {
        switch pairing {
        case .ownCluster:
            return centroids.enumerated().map { ($0.offset, $0.element) }
        case .referenceSampleLabel:
            return zip(labels, centroids).map { ($0, $1) }
        }
    }

    /// The centroid an id received back from the server refers to. Ids are resolved as Python
    /// indexes a list (so -1, possible under `.referenceSampleLabel`, means the last centroid);
    /// out-of-range ids give nil.
    public func centroid(forID id: Int) -> [Double]? {
        let c = id < 0 ? centroids.count + id : id
        return c >= 0 && c < centroids.count ? centroids[c] : nil
    }

    /// The local cluster an id refers to (Python-style indexing as `centroid(forID:)`).
    public func clusterIndex(forID id: Int) -> Int? {
        let c = id < 0 ? centroids.count + id : id
        return c >= 0 && c < centroids.count ? c : nil
    }

    /// Index of the local sample nearest (euclidean, fused space) to `point`, among `candidates`
    /// (all samples when nil); lowest index on ties.
    public func nearestSample(to point: [Double], among candidates: [Int]? = nil) -> Int? {
        var best: Int? = nil
        var bestDistance = Double.infinity
        for i in candidates ?? Array(0..<fused.rows) {
            var d = 0.0
            for j in 0..<fused.cols { let t = fused[i, j] - point[j]; d += t * t }
            if d < bestDistance { bestDistance = d; best = i }
        }
        return best
    }

    /// The coreset (ALGORITHM.md step 7, paper Eq. 10): for each selected id, the member of THAT cluster
    /// (a sample labelled with it, never a noise point) nearest to the cluster's centroid, without
    /// repeats, then shuffled with `rng`. `withinCluster: false` searches every local sample
    /// instead, noise included (not the paper's rule; kept for comparison only).
    public func coreset(
        selectedIDs: [Int], withinCluster: Bool = true,
        using rng: inout some RandomNumberGenerator
    ) -> [Int] {
        var chosen: [Int] = []
        var seen = Set<Int>()
        for id in selectedIDs {
            guard let c = clusterIndex(forID: id) else { continue }
            let candidates = withinCluster ? labels.indices.filter { labels[$0] == c } : nil
            guard let s = nearestSample(to: centroids[c], among: candidates) else { continue }
            if seen.insert(s).inserted { chosen.append(s) }
        }
        chosen.shuffle(using: &rng)
        return chosen
    }

    /// The "w/o inter" ablation: for every local cluster its member nearest to its centroid, shuffled.
    public func coresetOfAllClusters(
        withinCluster: Bool = true,
        using rng: inout some RandomNumberGenerator
    ) -> [Int] {
        coreset(selectedIDs: Array(0..<clusterCount), withinCluster: withinCluster, using: &rng)
    }
}

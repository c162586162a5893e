/// A client's fused 2-D points and its clusters in one round (kept on the client: only the
/// centroids leave it, through the DP boundary).
public struct LocalClustering: Sendable, Equatable {
    /// Row-major n x dims.
    public var points: [Double]
    public var dims: Int
    /// Cluster label per sample, -1 = noise.
    public var labels: [Int]
    /// Weighted centroid of cluster c at index c.
    public var centroids: [[Double]]
    public var fusionSeconds = 0.0
    public var clusteringSeconds = 0.0

    public init(points: [Double], dims: Int, labels: [Int], centroids: [[Double]]) {
        self.points = points
        self.dims = dims
        self.labels = labels
        self.centroids = centroids
    }

    public var count: Int { labels.count }

    /// The ids sent with the centroids: the cluster's own id, or (reference defect of SPEC
    /// step 6) the label of the i-th sample.
    public func sentIDs(referenceDefect: Bool) -> [Int] {
        (0..<centroids.count).map { i in referenceDefect ? (i < labels.count ? labels[i] : -1) : i }
    }
}

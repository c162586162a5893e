/// One centroid received by the server: which client sent it, with which id, and where it is.
public struct ClientCentroid: Sendable, Equatable, Hashable {
    public let client: Int
    public let cluster: Int
    public let point: [Double]

    public init(client: Int, cluster: Int, point: [Double]) {
        self.client = client
        self.cluster = cluster
        self.point = point
    }
}

/// FedHDS's server step (ALGORITHM.md step 6): HDBSCAN (min_cluster_size 2, no single cluster) over all
/// centroids received in a round; in each server cluster the member nearest to that cluster's
/// weighted centroid is chosen. Noise centroids are never chosen. Centroids are processed in
/// (client, cluster) order, so the result does not depend on arrival order.
public struct FedHDSInterClient: Sendable {
    public var minClusterSize: Int
    public var minSamples: Int?

    public init(minClusterSize: Int = 2, minSamples: Int? = nil) {
        self.minClusterSize = minClusterSize
        self.minSamples = minSamples
    }

    public func select(_ received: [ClientCentroid]) throws -> InterClientSelection {
        let sorted = received.enumerated().sorted { a, b in
            (a.element.client, a.element.cluster, a.offset) < (b.element.client, b.element.cluster, b.offset)
        }.map(\.element)
        let dim = sorted.first?.point.count ?? 2
        for (i, c) in sorted.enumerated() where c.point.count != dim {
            throw SelectionError.invalidInput(
                "centroid \(i) of client \(c.client) has \(c.point.count) values, expected \(dim)")
        }
        let points = try Matrix(rowArrays: sorted.map(\.point))
        try points.checkFinite(name: "received centroids")
        let h = try HDBSCAN(minClusterSize: minClusterSize, minSamples: minSamples).fit(points)
        var chosen: [ClientCentroid] = []
        for c in 0..<h.clusterCount {
            var best = -1
            var bestDistance = Double.infinity
            for i in 0..<sorted.count where h.labels[i] == c {
                var d = 0.0
                for j in 0..<dim { let t = sorted[i].point[j] - h.centroids[c][j]; d += t * t }
                if d < bestDistance { bestDistance = d; best = i }
            }
            if best >= 0 { chosen.append(sorted[best]) }
        }
        return InterClientSelection(centroids: sorted, labels: h.labels, chosen: chosen)
    }
}

/// The server's choice: every centroid (sorted by client, cluster) with its server-side label,
/// and the chosen ones (one per server cluster).
public struct InterClientSelection: Sendable, Equatable {
    public let centroids: [ClientCentroid]
    public let labels: [Int]
    public let chosen: [ClientCentroid]

    /// The ids to send back to `client` (ascending, without repeats).
    public func selectedIDs(forClient client: Int) -> [Int] {
        Array(Set(chosen.filter { $0.client == client }.map(\.cluster))).sorted()
    }
}

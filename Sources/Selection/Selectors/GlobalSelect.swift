/// One client's fused sample, as GlobalSelect sends it to the server.
public struct ClientSample: Sendable, Equatable, Hashable {
    public let client: Int
    public let sample: Int
    public let point: [Double]

    public init(client: Int, sample: Int, point: [Double]) {
        self.client = client
        self.sample = sample
        self.point = point
    }
}

/// The GlobalSelect ablation (breaks privacy): every client's fused points are clustered once
/// on the server with HDBSCAN; from each cluster the sample nearest its weighted centroid is
/// chosen. Processed in (client, sample) order, independent of arrival order.
public struct GlobalSelect: Sendable {
    public var minClusterSize: Int
    public var minSamples: Int?

    public init(minClusterSize: Int, minSamples: Int? = nil) {
        self.minClusterSize = minClusterSize
        self.minSamples = minSamples
    }

    /// The chosen samples, one per global cluster, in cluster order.
    public func select(_ samples: [ClientSample]) throws -> [ClientSample] {
        let sorted = samples.sorted { ($0.client, $0.sample) < ($1.client, $1.sample) }
        let dim = sorted.first?.point.count ?? 2
        for s in sorted where s.point.count != dim {
            throw SelectionError.invalidInput(
                "sample \(s.sample) of client \(s.client) has \(s.point.count) values, expected \(dim)")
        }
        let points = try Matrix(rowArrays: sorted.map(\.point))
        try points.checkFinite(name: "global fused samples")
        let h = try HDBSCAN(minClusterSize: minClusterSize, minSamples: minSamples).fit(points)
        var chosen: [ClientSample] = []
        for c in 0..<h.clusterCount {
            var best = -1, bestDistance = Double.infinity
            for i in sorted.indices where h.labels[i] == c {
                var d = 0.0
                for j in 0..<dim { let t = sorted[i].point[j] - h.centroids[c][j]; d += t * t }
                if d < bestDistance { bestDistance = d; best = i }
            }
            if best >= 0 { chosen.append(sorted[best]) }
        }
        return chosen
    }

    /// The chosen sample indices of one client.
    public static func samples(of client: Int, in chosen: [ClientSample]) -> [Int] {
        chosen.filter { $0.client == client }.map(\.sample).sorted()
    }
}

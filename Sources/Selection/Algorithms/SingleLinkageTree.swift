/// The single-linkage hierarchy from sorted MST edges (`hdbscan`'s `label`): row r merges the
/// clusters `left` and `right` (ids < n are points, n + r is the cluster made by row r).
struct SingleLinkageTree: Sendable {
    var left: [Int]
    var right: [Int]
    var distance: [Double]
    var size: [Int]
    let pointCount: Int

    init(edges: [HDBSCANGraph.Edge], pointCount n: Int) {
        self.pointCount = n
        left = []; right = []; distance = []; size = []
        var parent = [Int](repeating: -1, count: 2 * n - 1)
        var sizes = [Int](repeating: 1, count: n) + [Int](repeating: 0, count: max(n - 1, 0))
        var next = n
        func find(_ x: Int) -> Int {
            var root = x
            while parent[root] != -1 { root = parent[root] }
            var p = x
            while parent[p] != -1 && parent[p] != root {
                let up = parent[p]
                parent[p] = root
                p = up
            }
            return root
        }
        for e in edges {
            let aa = find(e.a), bb = find(e.b)
            left.append(aa); right.append(bb); distance.append(e.weight)
            size.append(sizes[aa] + sizes[bb])
            parent[aa] = next; parent[bb] = next
            sizes[next] = sizes[aa] + sizes[bb]
            next += 1
        }
    }

    /// Breadth-first list of the nodes under `root` (itself first), as `bfs_from_hierarchy`.
    func bfs(from root: Int) -> [Int] {
        var result: [Int] = []
        var toProcess = [root]
        while !toProcess.isEmpty {
            result.append(contentsOf: toProcess)
            var next: [Int] = []
            for x in toProcess where x >= pointCount {
                next.append(left[x - pointCount])
                next.append(right[x - pointCount])
            }
            toProcess = next
        }
        return result
    }
}

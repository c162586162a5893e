/// The condensed cluster tree of a single-linkage hierarchy (`hdbscan`'s `condense_tree`), its
/// stabilities and the excess-of-mass selection with labels and probabilities (`get_clusters`
/// with cluster_selection_epsilon 0 and no max cluster size).
struct CondensedTree: Sendable {
    var parent: [Int] = []
    var child: [Int] = []
    var lambda: [Double] = []
    var childSize: [Int] = []
    let pointCount: Int

    init(linkage: SingleLinkageTree, minClusterSize: Int) {
        let n = linkage.pointCount
        pointCount = n
        let root = 2 * (n - 1)
        var nextLabel = n + 1
        let nodeList = linkage.bfs(from: root)
        var relabel = [Int](repeating: 0, count: root + 1)
        relabel[root] = n
        var ignore = [Bool](repeating: false, count: root + 1)
        func count(_ node: Int) -> Int { node >= n ? linkage.size[node - n] : 1 }
        for node in nodeList {
            if ignore[node] || node < n { continue }
            let r = node - n
            let left = linkage.left[r], right = linkage.right[r]
            let dist = linkage.distance[r]
            let lambdaValue = dist > 0 ? 1.0 / dist : .infinity
            let leftCount = count(left), rightCount = count(right)
            func emitPoints(under sub: Int) {
                for s in linkage.bfs(from: sub) {
                    if s < n { append(relabel[node], s, lambdaValue, 1) }
                    ignore[s] = true
                }
            }
            if leftCount >= minClusterSize && rightCount >= minClusterSize {
                relabel[left] = nextLabel; nextLabel += 1
                append(relabel[node], relabel[left], lambdaValue, leftCount)
                relabel[right] = nextLabel; nextLabel += 1
                append(relabel[node], relabel[right], lambdaValue, rightCount)
            } else if leftCount < minClusterSize && rightCount < minClusterSize {
                emitPoints(under: left)
                emitPoints(under: right)
            } else if leftCount < minClusterSize {
                relabel[right] = relabel[node]
                emitPoints(under: left)
            } else {
                relabel[left] = relabel[node]
                emitPoints(under: right)
            }
        }
    }

    private mutating func append(_ p: Int, _ c: Int, _ l: Double, _ s: Int) {
        parent.append(p); child.append(c); lambda.append(l); childSize.append(s)
    }

    /// Stability of every cluster id (n ... max parent): sum over its rows of
    /// (lambda - birth) * child_size.
    func stabilities() -> [Int: Double] {
        let n = pointCount
        let maxParent = parent.max() ?? n
        var births = [Double](repeating: .nan, count: max(child.max() ?? 0, maxParent) + 1)
        var seen = [Bool](repeating: false, count: births.count)
        for r in parent.indices {
            let c = child[r]
            if !seen[c] || lambda[r] < births[c] { births[c] = lambda[r]; seen[c] = true }
        }
        births[n] = 0
        var result = [Double](repeating: 0, count: maxParent - n + 1)
        for r in parent.indices {
            result[parent[r] - n] += (lambda[r] - births[parent[r]]) * Double(childSize[r])
        }
        var dict: [Int: Double] = [:]
        for (i, v) in result.enumerated() { dict[n + i] = v }
        return dict
    }

    /// Excess-of-mass selection; returns labels (-1 noise) and membership probabilities.
    func selectClusters(allowSingleCluster: Bool) -> (labels: [Int], probabilities: [Double]) {
        let n = pointCount
        let root = n
        var stability = stabilities()
        var nodeList = stability.keys.sorted(by: >)
        if !allowSingleCluster { nodeList.removeLast() }
        var isCluster: [Int: Bool] = [:]
        for c in nodeList { isCluster[c] = true }
        var childrenOf: [Int: [Int]] = [:]
        var parentOf: [Int: Int] = [:]
        for r in parent.indices where childSize[r] > 1 {
            childrenOf[parent[r], default: []].append(child[r])
            parentOf[child[r]] = parent[r]
        }
        for node in nodeList {
            // The library sums child stabilities in a C float (float32).
            var subtree: Float = 0
            for ch in childrenOf[node] ?? [] { subtree = Float(Double(subtree) + stability[ch]!) }
            if Double(subtree) > stability[node]! {
                isCluster[node] = false
                stability[node] = Double(subtree)
            } else {
                var queue = childrenOf[node] ?? []
                while let s = queue.popLast() {
                    isCluster[s] = false
                    queue.append(contentsOf: childrenOf[s] ?? [])
                }
            }
        }
        let clusters = isCluster.filter { $0.value }.keys.sorted()
        var labelOf: [Int: Int] = [:]
        for (i, c) in clusters.enumerated() { labelOf[c] = i }

        // deaths: the largest lambda among each parent's rows.
        var deaths = [Double](repeating: 0, count: (parent.max() ?? root) + 1)
        var deathSeen = [Bool](repeating: false, count: deaths.count)
        var pointLambda = [Double](repeating: 0, count: n)
        var pointParent = [Int](repeating: root, count: n)
        for r in parent.indices {
            let p = parent[r]
            if !deathSeen[p] || lambda[r] > deaths[p] { deaths[p] = lambda[r]; deathSeen[p] = true }
            if child[r] < n { pointLambda[child[r]] = lambda[r]; pointParent[child[r]] = p }
        }
        var labels = [Int](repeating: -1, count: n)
        for i in 0..<n {
            var c = pointParent[i]
            while labelOf[c] == nil && c != root { c = parentOf[c]! }
            if c != root {
                labels[i] = labelOf[c]!
            } else if clusters.count == 1 && allowSingleCluster && labelOf[root] != nil {
                labels[i] = pointLambda[i] >= deaths[root] ? labelOf[root]! : -1
            }
        }
        var probabilities = [Double](repeating: 0, count: n)
        for i in 0..<n where labels[i] >= 0 {
            let maxLambda = deaths[clusters[labels[i]]]
            let l = pointLambda[i]
            if maxLambda == 0 || !l.isFinite {
                probabilities[i] = 1
            } else {
                probabilities[i] = min(l, maxLambda) / maxLambda
            }
        }
        return (labels, probabilities)
    }
}

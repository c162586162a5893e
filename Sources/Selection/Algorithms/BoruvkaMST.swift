/// The spanning tree of the mutual reachability graph as `hdbscan`'s default path builds it for
/// input of at most 60 dimensions: dual-tree Boruvka over scikit-learn's KD-tree
/// (`KDTreeBoruvkaAlgorithm` with leaf size 40 / 3 = 13 and `approx_min_span_tree=True`), step for
/// step, so that equal mutual reachability distances are resolved to the same edges:
/// - core distances: the distance to the k-th nearest neighbour, k = min_samples, the point itself
///   being the 0-th, from scikit-learn's dual-tree query on a KD-tree of leaf size 40 (so that
///   neighbours at equal distance come in its order); kept squared after the square root;
/// - first round: each point's edge goes to the first of its nearest neighbours (nearest first)
///   whose core distance is not larger than its own, at its own core distance;
/// - later rounds: a dual traversal of the tree finds for each component the nearest other
///   component (strict `<`, so the first pair found in traversal order wins ties), then edges are
///   added component by component in ascending order of their union-find roots (union by rank);
/// - node bounds are kept from round to round and reset only when a round merged nothing, which
///   is the library's approximation; the result need not be a minimum spanning tree.
/// Edges come out in the library's order, with weights sqrt(squared mutual reachability).
struct BoruvkaMST {
    private let tree: KDTree
    private let data: [Double]
    private let dims: Int
    private let n: Int
    private var core: [Double] = []
    private var candidatePoint: [Int]
    private var candidateNeighbor: [Int]
    private var candidateDistance: [Double]
    private var componentOfPoint: [Int]
    private var componentOfNode: [Int]
    private var bounds: [Double]
    private var parent: [Int]
    private var rank: [UInt8]
    private var isComponent: [Bool]
    private var components: [Int]
    private(set) var edges: [HDBSCANGraph.Edge] = []

    /// Squared core distances (`core_distance` of the library), for tests.
    var squaredCoreDistances: [Double] { core }

    static let leafSize = 40 / 3
    /// The library's leaf size for the core-distance tree (HDBSCAN's `leaf_size` default).
    static let coreLeafSize = 40

    /// Runs the algorithm on the rows of `x` (at least two) with `minSamples` in 1..<rows.
    static func spanningTree(_ x: Matrix, minSamples: Int) throws -> [HDBSCANGraph.Edge] {
        var b = BoruvkaMST(x)
        try b.run(minSamples: minSamples)
        return b.edges
    }

    init(_ x: Matrix) {
        n = x.rows
        dims = x.cols
        data = x.values
        tree = KDTree(x, leafSize: BoruvkaMST.leafSize)
        candidatePoint = [Int](repeating: -1, count: n)
        candidateNeighbor = candidatePoint
        candidateDistance = [Double](repeating: .greatestFiniteMagnitude, count: n)
        componentOfPoint = Array(0..<n)
        componentOfNode = (0..<tree.nodeCount).map { -($0 + 1) }
        bounds = [Double](repeating: .greatestFiniteMagnitude, count: tree.nodeCount)
        parent = Array(0..<n)
        rank = [UInt8](repeating: 0, count: n)
        isComponent = [Bool](repeating: true, count: n)
        components = Array(0..<n)
    }

    @inline(__always)
    private func squaredDistance(_ p: Int, _ q: Int) -> Double {
        var s = 0.0
        let op = p * dims, oq = q * dims
        for j in 0..<dims {
            let t = data[op + j] - data[oq + j]
            s += t * t
        }
        return s
    }

    mutating func run(minSamples k: Int) throws {
        // _compute_bounds: core distances from the (k+1)-nearest query, as distances then squared.
        let knn = KDTree(Matrix(unchecked: n, dims, data), leafSize: BoruvkaMST.coreLeafSize)
            .dualTreeKNearest(data, k: k + 1)
        core = knn.map {
            let d = $0[k].0.squareRoot(); return d * d
        }
        for p in 0..<n {
            for (_, m) in knn[p] where m != p {
                if core[m] <= core[p] {
                    candidatePoint[p] = p
                    candidateNeighbor[p] = m
                    candidateDistance[p] = core[p]
                    break
                }
            }
        }
        _ = updateComponents()
        for i in bounds.indices { bounds[i] = .greatestFiniteMagnitude }
        var count = components.count
        var rounds = 0
        while count > 1 {
            dualTreeTraversal(0, 0)
            count = updateComponents()
            rounds += 1
            // Every exact round at least halves the components; the approximate ones are followed
            // by an exact one whenever they merge nothing.
            if rounds > 4 * n + 64 {
                throw SelectionError.numericalFailure("HDBSCAN Boruvka did not converge after \(rounds) rounds")
            }
        }
    }

    private mutating func find(_ x0: Int) -> Int {
        var x = x0
        var xp = parent[x]
        while true {
            if xp == x { return x }
            let xg = parent[xp]
            parent[x] = xg
            x = xp
            xp = xg
        }
    }

    private mutating func union(_ a: Int, _ b: Int) {
        let ra = find(a), rb = find(b)
        if ra == rb { return }
        if rank[ra] < rank[rb] {
            parent[ra] = rb; isComponent[ra] = false
        } else if rank[ra] > rank[rb] {
            parent[rb] = ra; isComponent[rb] = false
        } else {
            rank[ra] &+= 1
            parent[rb] = ra; isComponent[rb] = false
        }
    }

    private func roots() -> [Int] { isComponent.indices.filter { isComponent[$0] } }

    private mutating func updateComponents() -> Int {
        for c in components {
            let source = candidatePoint[c], sink = candidateNeighbor[c]
            if source == -1 || sink == -1 { continue }
            if find(source) == find(sink) {
                candidatePoint[c] = -1
                candidateNeighbor[c] = -1
                candidateDistance[c] = .greatestFiniteMagnitude
                continue
            }
            edges.append(HDBSCANGraph.Edge(a: source, b: sink, weight: candidateDistance[c].squareRoot()))
            union(source, sink)
            candidateDistance[c] = .greatestFiniteMagnitude
            if edges.count == n - 1 {
                components = roots()
                return components.count
            }
        }
        for p in 0..<n { componentOfPoint[p] = find(p) }
        for node in stride(from: tree.nodeCount - 1, through: 0, by: -1) {
            if tree.isLeaf[node] {
                let s = tree.start[node], e = tree.end[node]
                let current = componentOfPoint[tree.indices[s]]
                var same = true
                for i in (s + 1)..<e where componentOfPoint[tree.indices[i]] != current { same = false; break }
                if same { componentOfNode[node] = current }
            } else if componentOfNode[2 * node + 1] == componentOfNode[2 * node + 2] {
                componentOfNode[node] = componentOfNode[2 * node + 1]
            }
        }
        let last = components.count
        components = roots()
        if components.count == last {
            for i in bounds.indices { bounds[i] = .greatestFiniteMagnitude }
        }
        return components.count
    }

    private mutating func dualTreeTraversal(_ node1: Int, _ node2: Int) {
        let nodeDistance = tree.minSquaredDistance(node1, node2)
        if nodeDistance < bounds[node1] {
            if componentOfNode[node1] == componentOfNode[node2] && componentOfNode[node1] >= 0 { return }
        } else {
            return
        }
        let leaf1 = tree.isLeaf[node1], leaf2 = tree.isLeaf[node2]
        if leaf1 && leaf2 {
            var upperBound = 0.0
            var lowerBound = Double.greatestFiniteMagnitude
            for i in tree.start[node1]..<tree.end[node1] {
                let p = tree.indices[i]
                let c1 = componentOfPoint[p]
                if core[p] > candidateDistance[c1] { continue }
                for j in tree.start[node2]..<tree.end[node2] {
                    let q = tree.indices[j]
                    if core[q] > candidateDistance[c1] { continue }
                    if c1 != componentOfPoint[q] {
                        let mr = Swift.max(squaredDistance(p, q), core[p], core[q])
                        if mr < candidateDistance[c1] {
                            candidateDistance[c1] = mr
                            candidateNeighbor[c1] = q
                            candidatePoint[c1] = p
                        }
                    }
                }
                upperBound = Swift.max(upperBound, candidateDistance[c1])
                lowerBound = Swift.min(lowerBound, candidateDistance[c1])
            }
            let r = tree.radius[node1]
            var newBound = Swift.min(upperBound, lowerBound + 2 * (r * r))
            if newBound < bounds[node1] {
                bounds[node1] = newBound
                var child = node1
                while child > 0 {
                    let up = (child - 1) / 2
                    newBound = Swift.max(bounds[2 * up + 1], bounds[2 * up + 2])
                    if newBound < bounds[up] {
                        bounds[up] = newBound
                        child = up
                    } else {
                        break
                    }
                }
            }
        } else if leaf1 || (!leaf2 && tree.radius[node2] > tree.radius[node1]) {
            let left = 2 * node2 + 1, right = 2 * node2 + 2
            let dl = tree.minSquaredDistance(node1, left), dr = tree.minSquaredDistance(node1, right)
            if dl < dr {
                dualTreeTraversal(node1, left); dualTreeTraversal(node1, right)
            } else {
                dualTreeTraversal(node1, right); dualTreeTraversal(node1, left)
            }
        } else {
            let left = 2 * node1 + 1, right = 2 * node1 + 2
            let dl = tree.minSquaredDistance(left, node2), dr = tree.minSquaredDistance(right, node2)
            if dl < dr {
                dualTreeTraversal(left, node2); dualTreeTraversal(right, node2)
            } else {
                dualTreeTraversal(right, node2); dualTreeTraversal(left, node2)
            }
        }
    }
}

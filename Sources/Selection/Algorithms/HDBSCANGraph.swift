/// The graph half of HDBSCAN: core distances and the minimum spanning tree of the mutual
/// reachability graph, by Prim's algorithm exactly as `hdbscan`'s `mst_linkage_core` visits it
/// (start at point 0, strict `<` so the lowest index wins ties), computing distances on the fly.
enum HDBSCANGraph {
    struct Edge: Sendable, Equatable {
        var a: Int
        var b: Int
        var weight: Double
    }

    @inline(__always)
    static func distance(_ p: UnsafeBufferPointer<Double>, _ i: Int, _ j: Int, _ d: Int) -> Double {
        var s = 0.0
        let oi = i * d, oj = j * d
        for c in 0..<d {
            let t = p[oi + c] - p[oj + c]
            s += t * t
        }
        return s.squareRoot()
    }

    /// The distance of each point to its k-th nearest neighbour, the point itself counting as the
    /// 0-th (the library's `np.partition(D, k, axis=0)[k]`).
    static func coreDistances(_ x: Matrix, k: Int) -> [Double] {
        let n = x.rows, d = x.cols
        var core = [Double](repeating: 0, count: n)
        x.values.withUnsafeBufferPointer { p in
            var best = [Double](repeating: .infinity, count: k + 1)
            for i in 0..<n {
                for t in 0...k { best[t] = .infinity }
                for j in 0..<n {
                    let v = distance(p, i, j, d)
                    if v < best[k] {
                        var t = k
                        while t > 0 && best[t - 1] > v {
                            best[t] = best[t - 1]
                            t -= 1
                        }
                        best[t] = v
                    }
                }
                core[i] = best[k]
            }
        }
        return core
    }

    /// Prim's minimum spanning tree over mutual reachability max(d(i,j), core_i, core_j).
    static func primMST(_ x: Matrix, core: [Double]) -> [Edge] {
        let n = x.rows, d = x.cols
        var result: [Edge] = []
        result.reserveCapacity(n - 1)
        var inTree = [Bool](repeating: false, count: n)
        var current = [Double](repeating: .greatestFiniteMagnitude, count: n)
        var sources = [Int](repeating: 0, count: n)
        x.values.withUnsafeBufferPointer { p in
            var node = 0
            for _ in 1..<n {
                inTree[node] = true
                let coreNode = core[node]
                var newDistance = Double.greatestFiniteMagnitude
                var newNode = 0, source = 0
                for j in 0..<n where !inTree[j] {
                    let m = Swift.max(distance(p, node, j, d), coreNode, core[j])
                    if m < current[j] {
                        current[j] = m
                        sources[j] = node
                    }
                    if current[j] < newDistance {
                        newDistance = current[j]
                        source = sources[j]
                        newNode = j
                    }
                }
                result.append(Edge(a: source, b: newNode, weight: newDistance))
                node = newNode
            }
        }
        return result
    }
}

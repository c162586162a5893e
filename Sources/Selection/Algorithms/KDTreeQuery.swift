/// scikit-learn's k-nearest-neighbour query of a KD-tree's own points as `hdbscan` calls it for
/// core distances (`tree.query(X, k, dualtree=True, breadth_first=True)`): a dual-tree traversal
/// driven by a min-heap of node pairs, a bounded max-heap of candidates per query point, and the
/// final per-row sort (insertion sort up to 15 entries, median-of-three introsort above). The
/// order of neighbours at exactly equal distance (duplicate points, grids) is the library's
/// because every step is the same; distances are squared (reduced) as in the heaps.
extension KDTree {
    private struct NodePair {
        var value: Double
        var node1: Int
        var node2: Int
    }

    /// For each point: its k nearest points (itself usually first) as (squared distance, index),
    /// nearest first. `data` must be the matrix the tree was built on.
    func dualTreeKNearest(_ data: [Double], k: Int) -> [[(Double, Int)]] {
        let n = pointCount, d = dims
        var heapValues = [Double](repeating: .infinity, count: n * k)
        var heapIndices = [Int](repeating: 0, count: n * k)
        var bounds = [Double](repeating: .infinity, count: nodeCount)
        var heap: [NodePair] = [NodePair(value: minSquaredDistance(0, 0), node1: 0, node2: 0)]

        func push(_ item: NodePair) {
            heap.append(item)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                if heap[parent].value <= heap[i].value { break }
                heap.swapAt(i, parent)
                i = parent
            }
        }
        func pop() -> NodePair {
            let top = heap[0]
            heap[0] = heap[heap.count - 1]
            heap.removeLast()
            let count = heap.count
            var i = 0
            while i < count {
                let c1 = 2 * i + 1, c2 = 2 * i + 2
                let swap: Int
                if c2 < count {
                    swap = heap[c1].value <= heap[c2].value ? c1 : c2
                } else if c1 < count {
                    swap = c1
                } else {
                    break
                }
                if swap > 0 && heap[swap].value <= heap[i].value {
                    heap.swapAt(i, swap)
                    i = swap
                } else {
                    break
                }
            }
            return top
        }
        // heap_push of scikit-learn's NeighborsHeap (a max-heap of size k per row).
        func pushNeighbour(_ row: Int, _ value: Double, _ index: Int) {
            let base = row * k
            if value >= heapValues[base] { return }
            heapValues[base] = value
            heapIndices[base] = index
            var current = 0
            while true {
                let left = 2 * current + 1, right = left + 1
                let swap: Int
                if left >= k {
                    break
                } else if right >= k {
                    if heapValues[base + left] > value { swap = left } else { break }
                } else if heapValues[base + left] >= heapValues[base + right] {
                    if value < heapValues[base + left] { swap = left } else { break }
                } else {
                    if value < heapValues[base + right] { swap = right } else { break }
                }
                heapValues[base + current] = heapValues[base + swap]
                heapIndices[base + current] = heapIndices[base + swap]
                current = swap
            }
            heapValues[base + current] = value
            heapIndices[base + current] = index
        }

        while !heap.isEmpty {
            let item = pop()
            let n1 = item.node1, n2 = item.node2
            if item.value > bounds[n2] { continue }
            if isLeaf[n1] && isLeaf[n2] {
                bounds[n2] = -1
                for i2 in start[n2]..<end[n2] {
                    let q = indices[i2]
                    if heapValues[q * k] <= item.value { continue }
                    for i1 in start[n1]..<end[n1] {
                        let p = indices[i1]
                        var s = 0.0
                        for j in 0..<d {
                            let t = data[p * d + j] - data[q * d + j]
                            s += t * t
                        }
                        pushNeighbour(q, s, p)
                    }
                    bounds[n2] = Swift.max(bounds[n2], heapValues[q * k])
                }
            } else if isLeaf[n1] || (!isLeaf[n2] && radius[n2] > radius[n1]) {
                for c in (2 * n2 + 1)...(2 * n2 + 2) {
                    push(NodePair(value: minSquaredDistance(n1, c), node1: n1, node2: c))
                }
            } else {
                for c in (2 * n1 + 1)...(2 * n1 + 2) {
                    push(NodePair(value: minSquaredDistance(c, n2), node1: c, node2: n2))
                }
            }
        }
        return (0..<n).map { row in
            var values = Array(heapValues[(row * k)..<(row * k + k)])
            var idx = Array(heapIndices[(row * k)..<(row * k + k)])
            SimultaneousSort.sort(&values, &idx)
            return Array(zip(values, idx))
        }
    }
}

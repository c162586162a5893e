import Foundation

/// scikit-learn's `KDTree` layout (euclidean): a complete binary tree in an array (children of
/// node i at 2i+1 and 2i+2) with 2^levels - 1 nodes, levels = 1 + floor(log2(max(1, (n-1)/leaf))).
/// Each node splits its points at the middle (`n / 2`) along the dimension of largest spread
/// (first such dimension), using the same selection algorithm with ties broken by point index, so
/// that the point order (`indices`), the bounding boxes and radii are those of the library's tree.
struct KDTree {
    let pointCount: Int
    let dims: Int
    let leafSize: Int
    let nodeCount: Int
    /// A permutation of the points; node i holds `indices[start[i]..<end[i]]`.
    private(set) var indices: [Int]
    private(set) var start: [Int]
    private(set) var end: [Int]
    private(set) var isLeaf: [Bool]
    /// Half the bounding box's diagonal, computed as the library does (`pow(sum, 0.5)`).
    private(set) var radius: [Double]
    /// Bounding boxes, `node * dims + axis`.
    private(set) var lower: [Double]
    private(set) var upper: [Double]

    init(_ x: Matrix, leafSize: Int) {
        let n = x.rows, d = x.cols
        pointCount = n
        dims = d
        self.leafSize = leafSize
        let levels = Int(log2(Swift.max(1.0, Double(n - 1) / Double(leafSize))) + 1)
        nodeCount = (1 << levels) - 1
        indices = Array(0..<n)
        start = [Int](repeating: 0, count: nodeCount)
        end = start
        isLeaf = [Bool](repeating: false, count: nodeCount)
        radius = [Double](repeating: 0, count: nodeCount)
        lower = [Double](repeating: 0, count: nodeCount * d)
        upper = lower
        build(x.values, node: 0, from: 0, to: n)
    }

    private mutating func build(_ data: [Double], node: Int, from s: Int, to e: Int) {
        let d = dims
        // init_node: the box of the node's points and half its diagonal.
        for j in 0..<d { lower[node * d + j] = .infinity; upper[node * d + j] = -.infinity }
        for i in s..<e {
            let row = indices[i] * d
            for j in 0..<d {
                lower[node * d + j] = fmin(lower[node * d + j], data[row + j])
                upper[node * d + j] = fmax(upper[node * d + j], data[row + j])
            }
        }
        var rad = 0.0
        for j in 0..<d {
            let h = 0.5 * Swift.abs(upper[node * d + j] - lower[node * d + j])
            rad += pow(h, 2.0)
        }
        start[node] = s
        end[node] = e
        radius[node] = pow(rad, 0.5)
        if 2 * node + 1 >= nodeCount || e - s < 2 {
            isLeaf[node] = true
            return
        }
        // find_node_split_dim: the first dimension of largest spread.
        var splitDim = 0, maxSpread = 0.0
        for j in 0..<d {
            var hi = data[indices[s] * d + j], lo = hi
            for i in (s + 1)..<e {
                let v = data[indices[i] * d + j]
                hi = fmax(hi, v); lo = fmin(lo, v)
            }
            if hi - lo > maxSpread { maxSpread = hi - lo; splitDim = j }
        }
        let mid = (e - s) / 2
        NthElement.select(&indices, s, s + mid, e) { a, b in
            let va = data[a * d + splitDim], vb = data[b * d + splitDim]
            return va == vb ? a < b : va < vb
        }
        build(data, node: 2 * node + 1, from: s, to: s + mid)
        build(data, node: 2 * node + 2, from: s + mid, to: e)
    }

    /// The smallest squared distance between the boxes of two nodes (`kdtree_min_rdist_dual`).
    @inline(__always)
    func minSquaredDistance(_ a: Int, _ b: Int) -> Double {
        var r = 0.0
        for j in 0..<dims {
            let d1 = lower[a * dims + j] - upper[b * dims + j]
            let d2 = lower[b * dims + j] - upper[a * dims + j]
            let t = 0.5 * ((d1 + Swift.abs(d1)) + (d2 + Swift.abs(d2)))
            r += t * t
        }
        return r
    }
}

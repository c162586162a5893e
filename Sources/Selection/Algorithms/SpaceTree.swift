/// The Barnes-Hut space-partitioning tree of scikit-learn's `_QuadTree` (quad-tree in 2-D,
/// oct-tree in 3-D, binary in 1-D): same bounding box, same splitting, duplicates (within 1e-6)
/// share a leaf, and the same summary rule for the repulsive forces.
struct SpaceTree {
    let dims: Int
    let fanout: Int
    private(set) var count = 0
    private(set) var maxDepth = 0
    var depth: [Int] = []
    var bary: [Double] = []  // cell * 3 + axis
    var minB: [Double] = []
    var maxB: [Double] = []
    var center: [Double] = []
    var width2: [Double] = []
    var size: [Double] = []
    var leaf: [Bool] = []
    var children: [Int32] = []  // cell * 8 + child, -1 = none
    /// Per cell, for the force traversal: barycentre (3), max width^2, size, leaf flag (1 or 0).
    var packed: [Double] = []
    static let stride = 6

    static let epsilon = 1e-6

    init(points y: UnsafeBufferPointer<Double>, n: Int, dims: Int) {
        self.dims = dims
        fanout = 1 << dims
        let capacity = max(2 * n + 8, 16)
        bary.reserveCapacity(capacity * 3); minB.reserveCapacity(capacity * 3)
        maxB.reserveCapacity(capacity * 3); center.reserveCapacity(capacity * 3)
        width2.reserveCapacity(capacity); size.reserveCapacity(capacity)
        leaf.reserveCapacity(capacity); children.reserveCapacity(capacity * 8)
        var lo = SIMD3<Double>(repeating: .infinity), hi = SIMD3<Double>(repeating: -.infinity)
        for i in 0..<n {
            for a in 0..<dims { lo[a] = min(lo[a], y[i * dims + a]); hi[a] = max(hi[a], y[i * dims + a]) }
        }
        for a in 0..<dims {
            let s: Double = hi[a] > 0 ? 1 : (hi[a] < 0 ? -1 : 0)
            hi[a] = max(hi[a] * (1 + 1e-3 * s), hi[a] + 1e-3)
        }
        _ = newCell()
        var w = 0.0
        for a in 0..<dims {
            minB[a] = lo[a]; maxB[a] = hi[a]; center[a] = (lo[a] + hi[a]) / 2
            w = max(w, (hi[a] - lo[a]) * (hi[a] - lo[a]))
        }
        width2[0] = w
        for i in 0..<n {
            var p = SIMD3<Double>(repeating: 0)
            for a in 0..<dims { p[a] = y[i * dims + a] }
            insert(p)
        }
        packed = [Double](repeating: 0, count: count * SpaceTree.stride)
        for c in 0..<count {
            let o = c * SpaceTree.stride
            packed[o] = bary[c * 3]; packed[o + 1] = bary[c * 3 + 1]; packed[o + 2] = bary[c * 3 + 2]
            packed[o + 3] = width2[c]; packed[o + 4] = size[c]; packed[o + 5] = leaf[c] ? 1 : 0
        }
    }

    private mutating func newCell() -> Int {
        let id = count
        count += 1
        bary.append(0); bary.append(0); bary.append(0)
        minB.append(0); minB.append(0); minB.append(0)
        maxB.append(0); maxB.append(0); maxB.append(0)
        center.append(0); center.append(0); center.append(0)
        width2.append(0); size.append(0); leaf.append(true); depth.append(0)
        for _ in 0..<8 { children.append(-1) }
        return id
    }

    private func childSlot(_ p: SIMD3<Double>, _ cell: Int) -> Int {
        var slot = 0
        for a in 0..<dims {
            slot *= 2
            if p[a] >= center[cell * 3 + a] { slot += 1 }
        }
        return slot
    }

    private func isDuplicate(_ p: SIMD3<Double>, _ cell: Int) -> Bool {
        for a in 0..<dims where abs(p[a] - bary[cell * 3 + a]) > SpaceTree.epsilon { return false }
        return true
    }

    private mutating func insertInNewChild(_ p: SIMD3<Double>, _ cell: Int, pointSize: Double) {
        let c = newCell()
        leaf[cell] = false
        var slot = 0
        var w = 0.0
        for a in 0..<dims {
            slot *= 2
            if p[a] >= center[cell * 3 + a] {
                slot += 1
                minB[c * 3 + a] = center[cell * 3 + a]; maxB[c * 3 + a] = maxB[cell * 3 + a]
            } else {
                minB[c * 3 + a] = minB[cell * 3 + a]; maxB[c * 3 + a] = center[cell * 3 + a]
            }
            center[c * 3 + a] = (minB[c * 3 + a] + maxB[c * 3 + a]) / 2
            let width = maxB[c * 3 + a] - minB[c * 3 + a]
            bary[c * 3 + a] = p[a]
            w = max(w, width * width)
        }
        width2[c] = w
        size[c] = pointSize
        depth[c] = depth[cell] + 1
        maxDepth = max(maxDepth, depth[c])
        children[cell * 8 + slot] = Int32(c)
    }

    private mutating func insert(_ p: SIMD3<Double>) {
        var cell = 0
        while true {
            if size[cell] == 0 {
                size[cell] = 1
                for a in 0..<dims { bary[cell * 3 + a] = p[a] }
                return
            }
            if !leaf[cell] {
                let m = size[cell]
                for a in 0..<dims { bary[cell * 3 + a] = (m * bary[cell * 3 + a] + p[a]) / (m + 1) }
                size[cell] += 1
                let child = children[cell * 8 + childSlot(p, cell)]
                if child < 0 {
                    insertInNewChild(p, cell, pointSize: 1)
                    return
                }
                cell = Int(child)
                continue
            }
            if isDuplicate(p, cell) {
                size[cell] += 1
                return
            }
            let old = SIMD3<Double>(bary[cell * 3], bary[cell * 3 + 1], bary[cell * 3 + 2])
            insertInNewChild(old, cell, pointSize: size[cell])
        }
    }

    /// Repulsive forces (unnormalised) on the points `range` of `y`, written into `force`, and
    /// their sum of Q. Cells with max width^2 / distance^2 < theta^2 are summarised; a point's
    /// own leaf (and duplicates of it) are skipped.
    func negativeForces(
        _ y: UnsafePointer<Double>, range: Range<Int>, theta2: Double,
        force: UnsafeMutablePointer<Double>
    ) -> Double {
        packed.withUnsafeBufferPointer { node in
            children.withUnsafeBufferPointer { children in
                let dims = self.dims, fanout = self.fanout
                let eps = SpaceTree.epsilon
                // A depth-first stack never holds more than (fanout - 1) per level plus one.
                var stack = [Int32](repeating: 0, count: (maxDepth + 2) * fanout)
                var sumQ = 0.0
                stack.withUnsafeMutableBufferPointer { stack in
                    for i in range {
                        let p0 = y[i * dims], p1 = dims > 1 ? y[i * dims + 1] : 0, p2 = dims > 2 ? y[i * dims + 2] : 0
                        var f0 = 0.0, f1 = 0.0, f2 = 0.0
                        var top = 1
                        stack[0] = 0
                        while top > 0 {
                            top -= 1
                            let c = Int(stack[top])
                            let o = c * SpaceTree.stride
                            // Unused axes hold 0 in both the point and the barycentre.
                            let d0 = p0 - node[o], d1 = p1 - node[o + 1], d2 = p2 - node[o + 2]
                            let dist2 = d0 * d0 + d1 * d1 + d2 * d2
                            let isLeaf = node[o + 5] != 0
                            if isLeaf && abs(d0) <= eps && abs(d1) <= eps && abs(d2) <= eps { continue }
                            // scikit-learn's test is width^2 / dist^2 < theta^2 (false when dist^2 = 0).
                            if isLeaf || node[o + 3] < theta2 * dist2 {
                                let q = 1.0 / (1.0 + dist2)
                                let s = node[o + 4]
                                sumQ += s * q
                                let mult = s * q * q
                                f0 += mult * d0; f1 += mult * d1; f2 += mult * d2
                            } else {
                                // Pushed in reverse so that children are visited in scikit-learn's order.
                                var s = fanout - 1
                                while s >= 0 {
                                    let ch = children[c * 8 + s]
                                    if ch >= 0 {
                                        stack[top] = ch
                                        top += 1
                                    }
                                    s -= 1
                                }
                            }
                        }
                        force[i * dims] = f0
                        if dims > 1 { force[i * dims + 1] = f1 }
                        if dims > 2 { force[i * dims + 2] = f2 }
                    }
                }
                return sumQ
            }
        }
    }
}

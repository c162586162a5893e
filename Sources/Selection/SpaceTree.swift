/// The Barnes-Hut space-partitioning tree of scikit-learn's `_QuadTree` (quad-tree in 2-D,
/// oct-tree in 3-D, binary in 1-D): same bounding box, same splitting, duplicates (within 1e-6)
/// share a leaf, and the same summary rule for the repulsive forces.
struct SpaceTree {
    let dims: Int
    let fanout: Int
    private(set) var count = 0
    var bary: [Double] = []       // cell * 3 + axis
    var minB: [Double] = []
    var maxB: [Double] = []
    var center: [Double] = []
    var width2: [Double] = []
    var size: [Int] = []
    var leaf: [Bool] = []
    var children: [Int32] = []    // cell * 8 + child, -1 = none

    static let epsilon = 1e-6

    init(points y: UnsafeBufferPointer<Double>, n: Int, dims: Int) {
        self.dims = dims
        fanout = 1 << dims
        let capacity = max(2 * n, 16)
        bary.reserveCapacity(capacity * 3); minB.reserveCapacity(capacity * 3)
        maxB.reserveCapacity(capacity * 3); center.reserveCapacity(capacity * 3)
        width2.reserveCapacity(capacity); size.reserveCapacity(capacity)
        leaf.reserveCapacity(capacity); children.reserveCapacity(capacity * 8)
        var lo = [Double](repeating: .infinity, count: 3), hi = [Double](repeating: -.infinity, count: 3)
        for i in 0..<n { for a in 0..<dims { lo[a] = min(lo[a], y[i * dims + a]); hi[a] = max(hi[a], y[i * dims + a]) } }
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
        var p = [Double](repeating: 0, count: 3)
        for i in 0..<n {
            for a in 0..<dims { p[a] = y[i * dims + a] }
            insert(p)
        }
    }

    private mutating func newCell() -> Int {
        let id = count
        count += 1
        bary.append(contentsOf: [0, 0, 0]); minB.append(contentsOf: [0, 0, 0])
        maxB.append(contentsOf: [0, 0, 0]); center.append(contentsOf: [0, 0, 0])
        width2.append(0); size.append(0); leaf.append(true)
        children.append(contentsOf: [Int32](repeating: -1, count: 8))
        return id
    }

    private func childSlot(_ p: [Double], _ cell: Int) -> Int {
        var slot = 0
        for a in 0..<dims {
            slot *= 2
            if p[a] >= center[cell * 3 + a] { slot += 1 }
        }
        return slot
    }

    private func isDuplicate(_ p: [Double], _ cell: Int) -> Bool {
        for a in 0..<dims where abs(p[a] - bary[cell * 3 + a]) > SpaceTree.epsilon { return false }
        return true
    }

    private mutating func insertInNewChild(_ p: [Double], _ cell: Int, pointSize: Int) {
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
        children[cell * 8 + slot] = Int32(c)
    }

    private mutating func insert(_ p: [Double]) {
        var cell = 0
        while true {
            if size[cell] == 0 {
                size[cell] = 1
                for a in 0..<dims { bary[cell * 3 + a] = p[a] }
                return
            }
            if !leaf[cell] {
                let m = Double(size[cell])
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
            let old = (0..<3).map { bary[cell * 3 + $0] }
            insertInNewChild(old, cell, pointSize: size[cell])
        }
    }

    /// Repulsive force on `point` (unnormalised, written into `force`) and its share of sum Q,
    /// summarising cells with max width^2 / distance^2 < theta^2; the point's own leaf (and
    /// duplicates of it) are skipped.
    func negativeForce(_ point: UnsafePointer<Double>, theta2: Double, force: UnsafeMutablePointer<Double>,
                       stack: inout [Int32]) -> Double {
        for a in 0..<dims { force[a] = 0 }
        var sumQ = 0.0
        stack.removeAll(keepingCapacity: true)
        stack.append(0)
        while let top = stack.popLast() {
            let c = Int(top)
            let o = c * 3
            let d0 = point[0] - bary[o]
            let d1 = dims > 1 ? point[1] - bary[o + 1] : 0
            let d2 = dims > 2 ? point[2] - bary[o + 2] : 0
            let dist2 = d0 * d0 + d1 * d1 + d2 * d2
            let eps = SpaceTree.epsilon
            let duplicate = abs(d0) <= eps && abs(d1) <= eps && abs(d2) <= eps
            if duplicate && leaf[c] { continue }
            if leaf[c] || width2[c] / dist2 < theta2 {
                let q = 1.0 / (1.0 + dist2)
                let s = Double(size[c])
                sumQ += s * q
                let mult = s * q * q
                force[0] += mult * d0
                if dims > 1 { force[1] += mult * d1 }
                if dims > 2 { force[2] += mult * d2 }
            } else {
                // Push children in reverse so that they are visited in scikit-learn's order.
                for s in stride(from: fanout - 1, through: 0, by: -1) {
                    let ch = children[c * 8 + s]
                    if ch >= 0 { stack.append(ch) }
                }
            }
        }
        return sumQ
    }
}

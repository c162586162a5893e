/// The order in which `np.argsort(weights)` (numpy 2.x, default kind) returns a float64 array on
/// an x86 CPU with AVX-512 (Intel Skylake-X and later, AMD Zen 4), where numpy hands the sort to
/// x86-simd-sort's AVX-512 argsort. The sort is not stable, and this is how it orders equal keys:
/// - an array already in non-decreasing order is returned as is (identity);
/// - up to 256 keys: a bitonic network over vectors of 8 lanes, padded with +infinity to
///   8 * 2^k keys; each vector is sorted by a fixed 8-lane network, then the vectors are merged
///   (reverse the upper half, compare lane by lane, half-cleaners across vectors, then within each
///   vector). Every compare-exchange swaps only when the keys are strictly out of order;
/// - above 256: quicksort with the median of 8 sampled keys as the pivot, a vectorised
///   partition that writes each 8-key block's smaller keys left and its others (>= pivot) right in
///   lane order (4 blocks unrolled above 256 keys), recursing while the pivot is not the part's
///   smallest or largest key, until a part has at most 256 keys.
/// Written from the algorithm's description and checked against numpy on this kind of CPU (the
/// goldens); numpy's AVX2 path agrees up to 256 keys and differs above, and without AVX2 numpy
/// uses its own introsort, so on such CPUs the library orders ties differently.
enum NumpyArgsort {
    static func argsort(_ keys: [Double]) -> [Int] {
        let n = keys.count
        var arg = Array(0..<n)
        guard n > 1 else { return arg }
        var sorted = true
        for i in 1..<n where !(keys[i - 1] <= keys[i]) { sorted = false; break }
        if sorted { return arg }
        var s = Sorter(keys: keys)
        s.sort(&arg, 0, n - 1, 2 * log2Floor(n))
        return arg
    }

    static func log2Floor(_ n: Int) -> Int { Int.bitWidth - 1 - n.leadingZeroBitCount }

    private struct Sorter {
        let keys: [Double]

        mutating func sort(_ arg: inout [Int], _ left: Int, _ right: Int, _ maxIters: Int) {
            if maxIters <= 0 {
                // x86-simd-sort falls back to std::sort here; not reproduced (stable instead).
                let part = arg[left...right].enumerated().sorted { a, b in
                    keys[a.element] != keys[b.element] ? keys[a.element] < keys[b.element] : a.offset < b.offset
                }.map(\.element)
                arg.replaceSubrange(left...right, with: part)
                return
            }
            if right + 1 - left <= 256 {
                network(&arg, left, right + 1 - left)
                return
            }
            let pivot = self.pivot(arg, left, right)
            var smallest = Double.infinity, biggest = -Double.infinity
            let p = partitionUnrolled(&arg, left, right + 1, pivot, &smallest, &biggest)
            if pivot != smallest { sort(&arg, left, p - 1, maxIters - 1) }
            if pivot != biggest { sort(&arg, p, right, maxIters - 1) }
        }

        private func pivot(_ arg: [Int], _ left: Int, _ right: Int) -> Double {
            guard right - left >= 8 else { return keys[arg[right]] }
            let size = (right - left) / 8
            var sample = (1...8).map { keys[arg[left + $0 * size]] }
            sample.sort()
            return sample[4]
        }

        /// One 8-key block: keys below the pivot go to `left...` and the others to `...right`,
        /// each in lane order; returns how many went right.
        private func partitionBlock(
            _ arg: inout [Int], _ left: Int, _ right: Int, _ block: ArraySlice<Int>,
            _ pivot: Double, _ smallest: inout Double, _ biggest: inout Double
        ) -> Int {
            var lo: [Int] = [], hi: [Int] = []
            for i in block {
                let v = keys[i]
                smallest = Swift.min(smallest, v); biggest = Swift.max(biggest, v)
                if v >= pivot { hi.append(i) } else { lo.append(i) }
            }
            for (k, i) in lo.enumerated() { arg[left + k] = i }
            for (k, i) in hi.enumerated() { arg[right - hi.count + k] = i }
            return hi.count
        }

        private func scalarPrefix(
            _ arg: inout [Int], _ left: inout Int, _ right: inout Int, count: Int,
            _ pivot: Double, _ smallest: inout Double, _ biggest: inout Double
        ) {
            for _ in 0..<count {
                let v = keys[arg[left]]
                smallest = Swift.min(smallest, v); biggest = Swift.max(biggest, v)
                if !(v < pivot) {
                    right -= 1
                    arg.swapAt(left, right)
                } else {
                    left += 1
                }
            }
        }

        private func partition(
            _ arg: inout [Int], _ left0: Int, _ right0: Int, _ pivot: Double,
            _ smallest: inout Double, _ biggest: inout Double
        ) -> Int {
            var left = left0, right = right0
            scalarPrefix(&arg, &left, &right, count: (right - left) % 8, pivot, &smallest, &biggest)
            if left == right { return left }
            if right - left == 8 {
                let block = arg[left..<(left + 8)]
                let amount = partitionBlock(&arg, left, left + 8, block, pivot, &smallest, &biggest)
                return left + 8 - amount
            }
            let blockLeft = arg[left..<(left + 8)], blockRight = arg[(right - 8)..<right]
            var rStore = right - 8, lStore = left
            left += 8; right -= 8
            while right - left != 0 {
                let block: ArraySlice<Int>
                if (rStore + 8) - right < left - lStore {
                    right -= 8
                    block = arg[right..<(right + 8)]
                } else {
                    block = arg[left..<(left + 8)]
                    left += 8
                }
                let amount = partitionBlock(&arg, lStore, rStore + 8, block, pivot, &smallest, &biggest)
                rStore -= amount; lStore += 8 - amount
            }
            var amount = partitionBlock(&arg, lStore, rStore + 8, blockLeft, pivot, &smallest, &biggest)
            lStore += 8 - amount
            amount = partitionBlock(&arg, lStore, lStore + 8, blockRight, pivot, &smallest, &biggest)
            lStore += 8 - amount
            return lStore
        }

        private func partitionUnrolled(
            _ arg: inout [Int], _ left0: Int, _ right0: Int, _ pivot: Double,
            _ smallest: inout Double, _ biggest: inout Double
        ) -> Int {
            let unroll = 4, width = 32
            if right0 - left0 <= 8 * width {
                return partition(&arg, left0, right0, pivot, &smallest, &biggest)
            }
            var left = left0, right = right0
            scalarPrefix(&arg, &left, &right, count: (right - left) % width, pivot, &smallest, &biggest)
            if left == right { return left }
            let blocksLeft = (0..<unroll).map { arg[(left + 8 * $0)..<(left + 8 * $0 + 8)] }
            let blocksRight = (0..<unroll).map { arg[(right - 8 * (unroll - $0))..<(right - 8 * (unroll - $0) + 8)] }
            var rStore = right - 8, lStore = left
            left += width; right -= width
            while right - left != 0 {
                let blocks: [ArraySlice<Int>]
                if (rStore + 8) - right < left - lStore {
                    right -= width
                    blocks = (0..<unroll).map { arg[(right + 8 * $0)..<(right + 8 * $0 + 8)] }
                } else {
                    blocks = (0..<unroll).map { arg[(left + 8 * $0)..<(left + 8 * $0 + 8)] }
                    left += width
                }
                for b in blocks {
                    let amount = partitionBlock(&arg, lStore, rStore + 8, b, pivot, &smallest, &biggest)
                    lStore += 8 - amount; rStore -= amount
                }
            }
            for b in blocksLeft + blocksRight {
                let amount = partitionBlock(&arg, lStore, rStore + 8, b, pivot, &smallest, &biggest)
                lStore += 8 - amount; rStore -= amount
            }
            return lStore
        }

        // MARK: the bitonic network (at most 256 keys)

        private static let pairs = [1, 0, 3, 2, 5, 4, 7, 6]
        private static let reverseHalves = [3, 2, 1, 0, 7, 6, 5, 4]
        private static let reverseAll = [7, 6, 5, 4, 3, 2, 1, 0]
        private static let distance2 = [2, 3, 0, 1, 6, 7, 4, 5]
        private static let distance4 = [4, 5, 6, 7, 0, 1, 2, 3]

        /// Lane i takes max(k_i, k_partner) where `mask` has bit i, else the min, and keeps its own
        /// index when its key is unchanged.
        private static func laneMerge(_ k: inout [Double], _ ix: inout [Int], base: Int, _ partner: [Int], _ mask: Int)
        {
            var nk = [Double](repeating: 0, count: 8), ni = [Int](repeating: 0, count: 8)
            for i in 0..<8 {
                let a = k[base + i], b = k[base + partner[i]]
                let t = (mask >> i) & 1 == 1 ? Swift.max(a, b) : Swift.min(a, b)
                nk[i] = t
                ni[i] = t == a ? ix[base + i] : ix[base + partner[i]]
            }
            for i in 0..<8 { k[base + i] = nk[i]; ix[base + i] = ni[i] }
        }

        private static func sortVector(_ k: inout [Double], _ ix: inout [Int], base: Int) {
            laneMerge(&k, &ix, base: base, pairs, 0xAA)
            laneMerge(&k, &ix, base: base, reverseHalves, 0xCC)
            laneMerge(&k, &ix, base: base, pairs, 0xAA)
            laneMerge(&k, &ix, base: base, reverseAll, 0xF0)
            laneMerge(&k, &ix, base: base, distance2, 0xCC)
            laneMerge(&k, &ix, base: base, pairs, 0xAA)
        }

        private static func mergeVector(_ k: inout [Double], _ ix: inout [Int], base: Int) {
            laneMerge(&k, &ix, base: base, distance4, 0xF0)
            laneMerge(&k, &ix, base: base, distance2, 0xCC)
            laneMerge(&k, &ix, base: base, pairs, 0xAA)
        }

        /// Lane-wise compare-exchange of vectors a and b (b's lanes reversed if `reversed`).
        private static func exchange(_ k: inout [Double], _ ix: inout [Int], _ a: Int, _ b: Int, reversed: Bool) {
            for l in 0..<8 {
                let i = a * 8 + l, j = b * 8 + (reversed ? 7 - l : l)
                if k[i] > k[j] { k.swapAt(i, j); ix.swapAt(i, j) }
            }
        }

        private func network(_ arg: inout [Int], _ offset: Int, _ n: Int) {
            var vectors = 32
            while vectors > 1 && n * 2 <= vectors * 8 { vectors /= 2 }
            var k = [Double](repeating: .infinity, count: vectors * 8)
            var ix = [Int](repeating: -1, count: vectors * 8)
            for p in 0..<n { ix[p] = arg[offset + p]; k[p] = keys[ix[p]] }
            for v in 0..<vectors { Self.sortVector(&k, &ix, base: v * 8) }
            var per = 2
            while per <= vectors {
                for g in 0..<(vectors / per) {
                    let base = g * per
                    for i in 0..<(per / 2) {
                        Self.exchange(&k, &ix, base + i, base + per - 1 - i, reversed: true)
                    }
                    var num = per / 2
                    while num >= 2 {
                        for j in stride(from: 0, to: per, by: num) {
                            for i in 0..<(num / 2) {
                                Self.exchange(&k, &ix, base + i + j, base + i + j + num / 2, reversed: false)
                            }
                        }
                        num /= 2
                    }
                    for v in 0..<per { Self.mergeVector(&k, &ix, base: (base + v) * 8) }
                }
                per *= 2
            }
            for p in 0..<n { arg[offset + p] = ix[p] }
        }
    }
}

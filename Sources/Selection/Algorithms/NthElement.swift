/// `std::nth_element` as GCC's libstdc++ implements it (introselect: median-of-three pivot moved
/// to the front, unguarded Hoare partition, insertion sort below four elements, heap selection
/// when the depth limit of 2 * floor(log2 n) runs out). scikit-learn builds its KD-tree with it,
/// and the order it leaves inside each half decides the point order inside the tree's leaves,
/// which the Boruvka traversal visits; so the same steps are taken here, not just any selection.
enum NthElement {
    /// Rearranges `a[first..<last]` so that `a[nth]` is what a full sort would put there, with
    /// nothing after it less and nothing before it greater (`less` must be a strict order).
    static func select(_ a: inout [Int], _ first: Int, _ nth: Int, _ last: Int, by less: (Int, Int) -> Bool) {
        if first == last || nth == last { return }
        var lo = first, hi = last
        var depth = 2 * floorLog2(last - first)
        while hi - lo > 3 {
            if depth == 0 {
                heapSelect(&a, lo, nth + 1, hi, less)
                a.swapAt(lo, nth)
                return
            }
            depth -= 1
            let cut = partitionPivot(&a, lo, hi, less)
            if cut <= nth { lo = cut } else { hi = cut }
        }
        insertionSort(&a, lo, hi, less)
    }

    static func floorLog2(_ n: Int) -> Int { Int.bitWidth - 1 - n.leadingZeroBitCount }

    private static func partitionPivot(_ a: inout [Int], _ first: Int, _ last: Int, _ less: (Int, Int) -> Bool) -> Int {
        let mid = first + (last - first) / 2
        moveMedianToFirst(&a, first, first + 1, mid, last - 1, less)
        // Unguarded partition of [first + 1, last) around a[first].
        var f = first + 1, l = last
        let pivot = a[first]
        while true {
            while less(a[f], pivot) { f += 1 }
            l -= 1
            while less(pivot, a[l]) { l -= 1 }
            if !(f < l) { return f }
            a.swapAt(f, l)
            f += 1
        }
    }

    private static func moveMedianToFirst(
        _ a: inout [Int], _ result: Int, _ x: Int, _ y: Int, _ z: Int,
        _ less: (Int, Int) -> Bool
    ) {
        if less(a[x], a[y]) {
            if less(a[y], a[z]) {
                a.swapAt(result, y)
            } else if less(a[x], a[z]) {
                a.swapAt(result, z)
            } else {
                a.swapAt(result, x)
            }
        } else if less(a[x], a[z]) {
            a.swapAt(result, x)
        } else if less(a[y], a[z]) {
            a.swapAt(result, z)
        } else {
            a.swapAt(result, y)
        }
    }

    private static func insertionSort(_ a: inout [Int], _ first: Int, _ last: Int, _ less: (Int, Int) -> Bool) {
        if first == last { return }
        var i = first + 1
        while i < last {
            let value = a[i]
            if less(value, a[first]) {
                var k = i
                while k > first { a[k] = a[k - 1]; k -= 1 }
                a[first] = value
            } else {
                var hole = i, next = i - 1
                while less(value, a[next]) {
                    a[hole] = a[next]
                    hole = next
                    next -= 1
                }
                a[hole] = value
            }
            i += 1
        }
    }

    private static func heapSelect(
        _ a: inout [Int], _ first: Int, _ middle: Int, _ last: Int,
        _ less: (Int, Int) -> Bool
    ) {
        let len = middle - first
        if len >= 2 {
            var parent = (len - 2) / 2
            while true {
                adjustHeap(&a, first, parent, len, a[first + parent], less)
                if parent == 0 { break }
                parent -= 1
            }
        }
        var i = middle
        while i < last {
            if less(a[i], a[first]) {
                // __pop_heap(first, middle, i)
                let value = a[i]
                a[i] = a[first]
                adjustHeap(&a, first, 0, len, value, less)
            }
            i += 1
        }
    }

    private static func adjustHeap(
        _ a: inout [Int], _ first: Int, _ holeStart: Int, _ len: Int, _ value: Int,
        _ less: (Int, Int) -> Bool
    ) {
        let top = holeStart
        var hole = holeStart
        var second = holeStart
        while second < (len - 1) / 2 {
            second = 2 * (second + 1)
            if less(a[first + second], a[first + second - 1]) { second -= 1 }
            a[first + hole] = a[first + second]
            hole = second
        }
        if len & 1 == 0 && second == (len - 2) / 2 {
            second = 2 * (second + 1)
            a[first + hole] = a[first + second - 1]
            hole = second - 1
        }
        // __push_heap
        var parent = (hole - 1) / 2
        while hole > top && less(a[first + parent], value) {
            a[first + hole] = a[first + parent]
            hole = parent
            parent = (hole - 1) / 2
        }
        a[first + hole] = value
    }
}

/// scikit-learn's `simultaneous_sort` (two-way introsort on values carrying indices).
enum SimultaneousSort {
    static func sort(_ v: inout [Double], _ ix: inout [Int]) {
        let n = v.count
        if n == 0 { return }
        introsort(&v, &ix, 0, n, 2 * (Int.bitWidth - 1 - n.leadingZeroBitCount))
    }

    private static func swap(_ v: inout [Double], _ ix: inout [Int], _ i: Int, _ j: Int) {
        v.swapAt(i, j); ix.swapAt(i, j)
    }

    private static func introsort(_ v: inout [Double], _ ix: inout [Int], _ start: Int, _ count: Int, _ depth: Int) {
        var s = start, n = count, maxd = depth
        while n > 15 {
            if maxd <= 0 { heapsort(&v, &ix, s, n); return }
            maxd -= 1
            // inplace_median3
            let mid = s + n / 2, last = s + n - 1
            if v[s] > v[last] { swap(&v, &ix, s, last) }
            if v[last] > v[mid] {
                swap(&v, &ix, last, mid)
                if v[s] > v[last] { swap(&v, &ix, s, last) }
            }
            let pivot = v[last]
            var i = 1, j = n - 2
            while true {
                while i <= j && v[s + i] < pivot { i += 1 }
                while i <= j && v[s + j] > pivot { j -= 1 }
                if i >= j { break }
                swap(&v, &ix, s + i, s + j)
                i += 1; j -= 1
            }
            swap(&v, &ix, s + i, s + n - 1)
            introsort(&v, &ix, s, i, maxd)
            s += i + 1
            n -= i + 1
        }
        for i in 1..<Swift.max(n, 1) {
            let tv = v[s + i], ti = ix[s + i]
            var j = i
            while j > 0 && v[s + j - 1] > tv {
                v[s + j] = v[s + j - 1]; ix[s + j] = ix[s + j - 1]
                j -= 1
            }
            v[s + j] = tv; ix[s + j] = ti
        }
    }

    private static func heapsort(_ v: inout [Double], _ ix: inout [Int], _ s: Int, _ n: Int) {
        func siftDown(_ start: Int, _ end: Int) {
            var root = start
            while true {
                let child = root * 2 + 1
                var maxind = root
                if child < end && v[s + maxind] < v[s + child] { maxind = child }
                if child + 1 < end && v[s + maxind] < v[s + child + 1] { maxind = child + 1 }
                if maxind == root { break }
                swap(&v, &ix, s + root, s + maxind)
                root = maxind
            }
        }
        var start = (n - 2) / 2
        while true {
            siftDown(start, n)
            if start == 0 { break }
            start -= 1
        }
        var end = n - 1
        while end > 0 {
            swap(&v, &ix, s, s + end)
            siftDown(0, end)
            end -= 1
        }
    }
}

/// A dense row-major matrix of doubles: the plain feature matrices Selection works on.
public struct Matrix: Sendable, Equatable {
    public let rows: Int
    public let cols: Int
    /// Row-major values, `rows * cols` of them.
    public var values: [Double]

    /// A matrix over `values` (row-major); throws if the count does not match.
    public init(rows: Int, cols: Int, values: [Double]) throws {
        guard rows >= 0, cols >= 0 else {
            throw SelectionError.invalidInput("matrix shape \(rows) x \(cols) is negative")
        }
        guard values.count == rows * cols else {
            throw SelectionError.invalidInput(
                "matrix of \(rows) x \(cols) needs \(rows * cols) values, got \(values.count)")
        }
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    /// A zero matrix.
    public init(zeros rows: Int, _ cols: Int) {
        self.rows = max(rows, 0)
        self.cols = max(cols, 0)
        self.values = [Double](repeating: 0, count: self.rows * self.cols)
    }

    /// A matrix from equally long rows; throws if the rows differ in length.
    public init(rowArrays: [[Double]]) throws {
        let cols = rowArrays.first?.count ?? 0
        var values: [Double] = []
        values.reserveCapacity(rowArrays.count * cols)
        for (i, row) in rowArrays.enumerated() {
            guard row.count == cols else {
                throw SelectionError.invalidInput("row \(i) has \(row.count) values, row 0 has \(cols)")
            }
            values.append(contentsOf: row)
        }
        try self.init(rows: rowArrays.count, cols: cols, values: values)
    }

    /// A matrix from single-precision values (row-major).
    public init(rows: Int, cols: Int, floats: [Float]) throws {
        try self.init(rows: rows, cols: cols, values: floats.map { Double($0) })
    }

    public subscript(row: Int, col: Int) -> Double {
        get { values[row * cols + col] }
        set { values[row * cols + col] = newValue }
    }

    /// One row as an array.
    public func row(_ i: Int) -> [Double] {
        Array(values[(i * cols)..<((i + 1) * cols)])
    }

    /// All rows as arrays.
    public var rowArrays: [[Double]] { (0..<rows).map { row($0) } }

    /// The rows at `indices`, in that order.
    public func selectingRows(_ indices: [Int]) -> Matrix {
        var out = [Double]()
        out.reserveCapacity(indices.count * cols)
        for i in indices { out.append(contentsOf: values[(i * cols)..<((i + 1) * cols)]) }
        return Matrix(unchecked: indices.count, cols, out)
    }

    /// The last `count` columns (e.g. the last hidden-state slot of a fused feature vector).
    public func lastColumns(_ count: Int) throws -> Matrix {
        guard count > 0, count <= cols else {
            throw SelectionError.invalidParameter("cannot take the last \(count) of \(cols) columns")
        }
        var out = [Double]()
        out.reserveCapacity(rows * count)
        for i in 0..<rows {
            out.append(contentsOf: values[(i * cols + cols - count)..<((i + 1) * cols)])
        }
        return Matrix(unchecked: rows, count, out)
    }

    /// Throws `nonFiniteValue` naming the first NaN or infinite entry.
    public func checkFinite(name: String = "features") throws {
        try values.withUnsafeBufferPointer { buf in
            for k in 0..<buf.count where !buf[k].isFinite {
                throw SelectionError.nonFiniteValue(matrix: name, row: k / max(cols, 1), column: k % max(cols, 1))
            }
        }
    }

    init(unchecked rows: Int, _ cols: Int, _ values: [Double]) {
        self.rows = rows
        self.cols = cols
        self.values = values
    }
}

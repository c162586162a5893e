/// A dense, row-major Float32 tensor: the storage every model buffer uses.
///
/// `data.count == shape.reduce(1, *)`. Matrices of linear layers are `[out, in]` (the PyTorch
/// `nn.Linear` convention), so `y = x W^T` is one `cblas_sgemm` with `transB`.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "Tensor: shape \(shape) does not hold \(data.count) values")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    public var count: Int { data.count }
    /// Rows of a matrix (first dimension).
    public var rows: Int { shape.first ?? 1 }
    /// Columns of a matrix (product of the trailing dimensions).
    public var columns: Int { shape.dropFirst().reduce(1, *) }
}

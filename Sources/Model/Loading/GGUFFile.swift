import Foundation

/// A parsed GGUF file (v2 or v3): metadata, tensor directory, and dequantisation of the tensors
/// to Float. The file stays memory-mapped; nothing is read twice. Every read is bounds-checked,
/// so a truncated or corrupt file gives a `ModelError` naming the file (and tensor), never a crash.
public final class GGUFFile {
    /// One entry of the tensor directory.
    public struct TensorInfo: Sendable, Equatable {
        public var name: String
        /// ggml dimensions, innermost first (`ne[0]` = columns of a matrix).
        public var dimensions: [Int]
        /// ggml type id (see `typeName`).
        public var type: UInt32
        /// Offset of the data from the start of the data section.
        public var offset: Int
        /// The row-major shape: dimensions reversed (`[rows, columns]` for a matrix).
        public var shape: [Int] { dimensions.reversed() }
        public var elementCount: Int { dimensions.reduce(1, *) }
        public var typeName: String { GGMLType.name(of: type) }
    }

    public let path: String
    public let version: Int
    public let metadata: [String: GGUFValue]
    public let tensors: [TensorInfo]
    public let alignment: Int
    /// Offset of the data section in the file.
    public let dataOffset: Int
    let file: MappedFile
    private let index: [String: Int]

    static let magic: UInt32 = 0x4655_4747  // "GGUF" little-endian

    public init(path: String) throws {
        let file = try MappedFile(path: path)
        self.file = file
        self.path = path
        var r = Reader(file: file)
        guard file.count >= 4 else {
            throw ModelError.invalidFile(path: path, reason: "too short for a GGUF file (\(file.count) bytes)")
        }
        let magic = try r.u32("magic")
        guard magic == Self.magic else {
            throw ModelError.invalidFile(
                path: path, reason: "not a GGUF file (bad magic 0x\(String(magic, radix: 16)))")
        }
        let version = try r.u32("version")
        guard version == 2 || version == 3 else {
            throw ModelError.invalidFile(path: path, reason: "unsupported GGUF version \(version) (supported: 2, 3)")
        }
        self.version = Int(version)
        let tensorCount = try r.u64("tensor count")
        let kvCount = try r.u64("metadata count")
        // Every entry takes at least 8 bytes, so larger counts cannot be genuine.
        guard tensorCount <= UInt64(file.count / 8), kvCount <= UInt64(file.count / 8) else {
            throw ModelError.invalidFile(
                path: path,
                reason: "implausible counts (\(tensorCount) tensors, \(kvCount) metadata entries)")
        }
        var metadata: [String: GGUFValue] = [:]
        for _ in 0..<Int(kvCount) {
            let key = try r.string("metadata key")
            let type = try r.u32("type of '\(key)'")
            metadata[key] = try r.value(type: type, key: key, depth: 0)
        }
        self.metadata = metadata
        var tensors: [TensorInfo] = []
        var index: [String: Int] = [:]
        for i in 0..<Int(tensorCount) {
            let name = try r.string("name of tensor \(i)")
            let nDims = try r.u32("dimension count of '\(name)'")
            guard nDims >= 1, nDims <= 4 else {
                throw ModelError.invalidTensor(
                    path: path, tensor: name, reason: "\(nDims) dimensions (ggml allows 1 to 4)")
            }
            var dims: [Int] = []
            var total = 1
            for _ in 0..<Int(nDims) {
                let d = try r.u64("dimensions of '\(name)'")
                guard d <= UInt64(Int32.max) else {
                    throw ModelError.invalidTensor(path: path, tensor: name, reason: "dimension \(d) is too large")
                }
                let (t, overflow) = total.multipliedReportingOverflow(by: Int(d))
                guard !overflow, t <= 1 << 40 else {
                    throw ModelError.invalidTensor(path: path, tensor: name, reason: "too many elements")
                }
                total = t
                dims.append(Int(d))
            }
            let type = try r.u32("type of '\(name)'")
            let offset = try r.u64("offset of '\(name)'")
            guard offset <= UInt64(file.count) else {
                throw ModelError.invalidTensor(
                    path: path, tensor: name,
                    reason: "data offset \(offset) beyond the end of the file (truncated?)")
            }
            guard index[name] == nil else {
                throw ModelError.invalidTensor(path: path, tensor: name, reason: "listed twice")
            }
            index[name] = tensors.count
            tensors.append(TensorInfo(name: name, dimensions: dims, type: type, offset: Int(offset)))
        }
        self.tensors = tensors
        self.index = index
        var alignment = 32
        if let a = metadata["general.alignment"] {
            guard let v = a.int, v > 0, v <= 1 << 16, v & (v - 1) == 0 else {
                throw ModelError.invalidFile(path: path, reason: "general.alignment \(a) is not a power of two")
            }
            alignment = v
        }
        self.alignment = alignment
        dataOffset = (r.offset + alignment - 1) / alignment * alignment
    }

    public func tensorInfo(_ name: String) -> TensorInfo? {
        index[name].map { tensors[$0] }
    }

    /// Dequantises a tensor to Float in its row-major shape. `expectedShape` (row-major) is
    /// checked first. `rowOrder[i]`, when given, is the stored row that becomes row `i`.
    public func tensor(_ name: String, expectedShape: [Int]? = nil, rowOrder: [Int]? = nil) throws -> Tensor {
        guard let info = tensorInfo(name) else {
            throw ModelError.invalidTensor(path: path, tensor: name, reason: "missing")
        }
        func bad(_ reason: String) -> ModelError { .invalidTensor(path: path, tensor: name, reason: reason) }
        if let expectedShape {
            // A vector may be stored with trailing unit dimensions.
            let shape =
                info.shape.count > 1 && expectedShape.count == 1 && info.elementCount == expectedShape[0]
                ? expectedShape : info.shape
            guard shape == expectedShape else { throw bad("shape \(info.shape), expected \(expectedShape)") }
        }
        guard let type = GGMLType(rawValue: info.type) else {
            throw bad("unsupported tensor type \(info.typeName) (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1)")
        }
        let columns = info.dimensions[0]
        let rows = info.elementCount / max(columns, 1)
        guard columns % type.blockSize == 0 else {
            throw bad("row length \(columns) is not a multiple of the \(info.typeName) block size \(type.blockSize)")
        }
        let rowBytes = columns / type.blockSize * type.typeSize
        guard info.offset % alignment == 0 else {
            throw bad("data offset \(info.offset) is not aligned to \(alignment)")
        }
        guard let bytes = file.bytes(dataOffset + info.offset, rows * rowBytes) else {
            throw bad(
                "data [\(dataOffset + info.offset), +\(rows * rowBytes)) runs past the end of the file (\(file.count) bytes; truncated?)"
            )
        }
        if let rowOrder {
            guard rowOrder.count == rows, rowOrder.allSatisfy({ $0 >= 0 && $0 < rows }) else {
                throw bad("row order does not fit \(rows) rows")
            }
        }
        let count = rows * columns
        let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let dst = buffer.baseAddress, let src = bytes.baseAddress else { initialized = count; return }
            let pointers = RowPointers(src: src, dst: dst)
            // Large tensors are split over the cores by rows; small ones are not worth a thread.
            let chunks = count >= 1 << 18 ? min(4, max(1, ProcessInfo.processInfo.activeProcessorCount)) : 1
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let lo = rows * chunk / chunks, hi = rows * (chunk + 1) / chunks
                for r in lo..<hi {
                    let s = rowOrder?[r] ?? r
                    type.dequantizeRow(pointers.src + s * rowBytes, pointers.dst + r * columns, count: columns)
                }
            }
            initialized = count
        }
        return Tensor(shape: info.shape.count == 1 ? [count] : info.shape, data: data)
    }

    /// Source and destination of a dequantisation, shared by the threads that fill disjoint rows.
    private struct RowPointers: @unchecked Sendable {
        let src: UnsafeRawPointer
        let dst: UnsafeMutablePointer<Float>
    }

    // MARK: - Reading

    /// A bounds-checked little-endian cursor over the header.
    struct Reader {
        let file: MappedFile
        var offset = 0

        func truncated(_ what: String) -> ModelError {
            .invalidFile(path: file.path, reason: "truncated or corrupt header at byte \(offset) reading \(what)")
        }

        mutating func take(_ n: Int, _ what: String) throws -> UnsafeRawBufferPointer {
            guard let b = file.bytes(offset, n) else { throw truncated(what) }
            offset += n
            return b
        }

        mutating func u8(_ what: String) throws -> UInt8 { try take(1, what)[0] }
        mutating func u16(_ what: String) throws -> UInt16 {
            try take(2, what).loadUnaligned(as: UInt16.self).littleEndian
        }
        mutating func u32(_ what: String) throws -> UInt32 {
            try take(4, what).loadUnaligned(as: UInt32.self).littleEndian
        }
        mutating func u64(_ what: String) throws -> UInt64 {
            try take(8, what).loadUnaligned(as: UInt64.self).littleEndian
        }

        mutating func string(_ what: String) throws -> String {
            let n = try u64("length of \(what)")
            guard n <= UInt64(file.count) else { throw truncated(what) }
            let b = try take(Int(n), what)
            return String(decoding: b, as: UTF8.self)
        }

        mutating func value(type: UInt32, key: String, depth: Int) throws -> GGUFValue {
            let what = "value of '\(key)'"
            switch type {
            case 0: return .uint(UInt64(try u8(what)))
            case 1: return .int(Int64(Int8(bitPattern: try u8(what))))
            case 2: return .uint(UInt64(try u16(what)))
            case 3: return .int(Int64(Int16(bitPattern: try u16(what))))
            case 4: return .uint(UInt64(try u32(what)))
            case 5: return .int(Int64(Int32(bitPattern: try u32(what))))
            case 6: return .float(Double(Float(bitPattern: try u32(what))))
            case 7: return .bool(try u8(what) != 0)
            case 8: return .string(try string(what))
            case 9:
                guard depth == 0 else {
                    throw ModelError.invalidFile(path: file.path, reason: "nested arrays in '\(key)' are not supported")
                }
                let elementType = try u32("array type of '\(key)'")
                let n = try u64("array length of '\(key)'")
                guard n <= UInt64(file.count - offset) else { throw truncated(what) }
                var values: [GGUFValue] = []
                values.reserveCapacity(Int(n))
                for _ in 0..<Int(n) { values.append(try value(type: elementType, key: key, depth: depth + 1)) }
                return .array(values)
            case 10: return .uint(try u64(what))
            case 11: return .int(Int64(bitPattern: try u64(what)))
            case 12: return .float(Double(bitPattern: try u64(what)))
            default:
                throw ModelError.invalidFile(path: file.path, reason: "unknown metadata type \(type) of '\(key)'")
            }
        }
    }
}

import Foundation

/// A small reader and writer of NumPy `.npy` files holding 2-D (or 1-D, read as one column)
/// little-endian float32 or float64 arrays, C or Fortran order. Shared by the commands that
/// exchange matrices with Python users (`tsne`, `hdbscan`, `features`).
struct NPYFile: Equatable {
    enum DType: String { case float32 = "<f4", float64 = "<f8" }

    enum Failure: Error, CustomStringConvertible, Equatable {
        case notNPY(String)
        case unsupported(String)
        case truncated(String)

        var description: String {
            switch self {
            case let .notNPY(what): return "not a .npy file: \(what)"
            case let .unsupported(what): return "unsupported .npy content: \(what)"
            case let .truncated(what): return "truncated .npy file: \(what)"
            }
        }
    }

    var rows: Int
    var cols: Int
    /// Row-major values.
    var values: [Double]
    var dtype: DType

    init(rows: Int, cols: Int, values: [Double], dtype: DType = .float64) {
        self.rows = rows
        self.cols = cols
        self.values = values
        self.dtype = dtype
    }

    static func read(_ url: URL) throws -> NPYFile {
        try parse(Data(contentsOf: url), name: url.path)
    }

    static func parse(_ data: Data, name: String = "data") throws -> NPYFile {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw Failure.notNPY("\(name) lacks the \\x93NUMPY magic")
        }
        let major = bytes[6]
        var headerLength: Int, offset: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            offset = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw Failure.truncated(name) }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            offset = 12
        default:
            throw Failure.unsupported("\(name): format version \(major)")
        }
        guard bytes.count >= offset + headerLength else { throw Failure.truncated("\(name): header") }
        let header = String(decoding: bytes[offset..<(offset + headerLength)], as: UTF8.self)
        offset += headerLength
        guard let descr = field("descr", in: header) else { throw Failure.notNPY("\(name): header has no descr") }
        let cleaned = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        let dtype: DType
        switch cleaned {
        case "<f4", "=f4", "f4": dtype = .float32
        case "<f8", "=f8", "f8": dtype = .float64
        default: throw Failure.unsupported("\(name): dtype \(cleaned) (only little-endian float32/float64)")
        }
        let fortran = (field("fortran_order", in: header) ?? "False").contains("True")
        guard let shapeText = field("shape", in: header) else { throw Failure.notNPY("\(name): header has no shape") }
        let dims = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .compactMap { Int($0) }
        let rows: Int, cols: Int
        switch dims.count {
        case 1: rows = dims[0]; cols = 1
        case 2: rows = dims[0]; cols = dims[1]
        default: throw Failure.unsupported("\(name): shape \(shapeText) (only 1-D or 2-D)")
        }
        let width = dtype == .float32 ? 4 : 8
        let count = rows * cols
        guard bytes.count >= offset + count * width else {
            throw Failure.truncated("\(name): needs \(count * width) data bytes, has \(bytes.count - offset)")
        }
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for k in 0..<count {
                let p = offset + k * width
                if dtype == .float32 {
                    values[k] = Double(Float(bitPattern: raw.loadUnaligned(fromByteOffset: p, as: UInt32.self).littleEndian))
                } else {
                    values[k] = Double(bitPattern: raw.loadUnaligned(fromByteOffset: p, as: UInt64.self).littleEndian)
                }
            }
        }
        if fortran && rows > 1 && cols > 1 {
            var c = [Double](repeating: 0, count: count)
            for i in 0..<rows { for j in 0..<cols { c[i * cols + j] = values[j * rows + i] } }
            values = c
        }
        return NPYFile(rows: rows, cols: cols, values: values, dtype: dtype)
    }

    /// The value text of `key` in the header dictionary.
    private static func field(_ key: String, in header: String) -> String? {
        guard let r = header.range(of: "'\(key)':") ?? header.range(of: "\"\(key)\":") else { return nil }
        let rest = header[r.upperBound...].drop { $0 == " " }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        let end = rest.firstIndex { $0 == "," || $0 == "}" } ?? rest.endIndex
        return String(rest[..<end])
    }

    /// The file's bytes (format 1.0, C order, header padded to 64 bytes).
    func encoded() -> Data {
        var header = "{'descr': '\(dtype.rawValue)', 'fortran_order': False, 'shape': (\(rows), \(cols)), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let h = UInt16(header.utf8.count)
        out.append(contentsOf: [UInt8(h & 0xff), UInt8(h >> 8)])
        out.append(contentsOf: Array(header.utf8))
        out.reserveCapacity(out.count + values.count * 8)
        for v in values {
            if dtype == .float32 {
                withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { out.append(contentsOf: $0) }
            } else {
                withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    func write(to url: URL) throws {
        try encoded().write(to: url)
    }

    /// Writes a float32 matrix (e.g. feature vectors) without a Double copy by the caller.
    static func write(rows: Int, cols: Int, floats: [Float], to url: URL) throws {
        try NPYFile(rows: rows, cols: cols, values: floats.map { Double($0) }, dtype: .float32).write(to: url)
    }
}

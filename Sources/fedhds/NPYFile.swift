import ArgumentParser
import Foundation

/// A small reader and writer of NumPy `.npy` files holding 2-D (or 1-D, read as one column)
/// little-endian float32 or float64 arrays, C or Fortran order. Shared by the commands that
/// exchange matrices with Python users (`tsne`, `hdbscan`, `features`).
struct NPYFile: Equatable {
    enum DType: String {
        case float32 = "<f4"
        case float64 = "<f8"
    }

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
        // The header is read as bytes (Python-literal ASCII): no Unicode text search on untrusted bytes.
        let header = Array(bytes[offset..<(offset + headerLength)])
        offset += headerLength
        func trimmed(_ b: ArraySlice<UInt8>, _ drop: Set<UInt8>) -> ArraySlice<UInt8> {
            var s = b
            while let f = s.first, drop.contains(f) { s = s.dropFirst() }
            while let l = s.last, drop.contains(l) { s = s.dropLast() }
            return s
        }
        func text(_ b: ArraySlice<UInt8>) -> String { String(decoding: b.prefix(80), as: UTF8.self) }
        guard let descr = field("descr", in: header) else { throw Failure.notNPY("\(name): header has no descr") }
        let cleaned = text(trimmed(descr, [0x27, 0x22, 0x20]))
        let dtype: DType
        switch cleaned {
        case "<f4", "=f4", "f4": dtype = .float32
        case "<f8", "=f8", "f8": dtype = .float64
        default: throw Failure.unsupported("\(name): dtype \(cleaned) (only little-endian float32/float64)")
        }
        let fortran = text(trimmed(field("fortran_order", in: header) ?? [], [0x20])) == "True"
        guard let shapeBytes = field("shape", in: header) else { throw Failure.notNPY("\(name): header has no shape") }
        let shapeText = text(shapeBytes)
        let dimTexts = trimmed(shapeBytes, [0x28, 0x29, 0x20]).split(separator: 0x2C, omittingEmptySubsequences: false)
            .map { trimmed($0, [0x20]) }
        let pieces = dimTexts.last?.isEmpty == true && dimTexts.count > 1 ? dimTexts.dropLast() : dimTexts[...]  // (5,) is 1-D
        let dims = pieces.compactMap { $0.count <= 20 ? Int(text($0)) : nil }
        guard !pieces.isEmpty, dims.count == pieces.count, dims.allSatisfy({ $0 >= 0 && $0 <= Int(Int32.max) }) else {
            throw Failure.notNPY("\(name): shape \(shapeText) is not a tuple of integers in 0...\(Int32.max)")
        }
        let rows: Int, cols: Int
        switch dims.count {
        case 1: rows = dims[0]; cols = 1
        case 2: rows = dims[0]; cols = dims[1]
        default: throw Failure.unsupported("\(name): shape \(shapeText) (only 1-D or 2-D)")
        }
        let width = dtype == .float32 ? 4 : 8
        // The shape is checked against the bytes present before anything is allocated, without
        // overflow: a header may declare any numbers.
        let (count, o1) = rows.multipliedReportingOverflow(by: cols)
        let (needed, o2) = count.multipliedReportingOverflow(by: width)
        let available = bytes.count - offset
        guard !o1, !o2, needed <= available else {
            throw Failure.truncated(
                "\(name): shape (\(rows), \(cols)) needs \(o1 || o2 ? "more than \(Int.max)" : String(needed)) data bytes, has \(available)"
            )
        }
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for k in 0..<count {
                let p = offset + k * width
                if dtype == .float32 {
                    values[k] = Double(
                        Float(bitPattern: raw.loadUnaligned(fromByteOffset: p, as: UInt32.self).littleEndian))
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

    /// The value bytes of `key` in the header dictionary: a parenthesised tuple, or up to the next
    /// "," or "}".
    private static func field(_ key: String, in header: [UInt8]) -> ArraySlice<UInt8>? {
        for pattern in [Array("'\(key)':".utf8), Array("\"\(key)\":".utf8)] {
            guard header.count >= pattern.count,
                let start = (0...(header.count - pattern.count)).first(where: {
                    header[$0..<($0 + pattern.count)].elementsEqual(pattern)
                })
            else { continue }
            var i = start + pattern.count
            while i < header.count, header[i] == 0x20 { i += 1 }
            if i < header.count, header[i] == 0x28 {
                guard let close = header[i...].firstIndex(of: 0x29) else { return nil }
                return header[i...close]
            }
            let end = header[i...].firstIndex { $0 == 0x2C || $0 == 0x7D } ?? header.count
            return header[i..<end]
        }
        return nil
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

/// Output files of the commands: the folder is checked before the work, a failed write is named.
enum OutputFile {
    static func checkFolder(of path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("--out \(path): the folder \(folder) does not exist")
        }
    }

    static func write(_ data: Data, to path: String) throws {
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw ValidationError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}

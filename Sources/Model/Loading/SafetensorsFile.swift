import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Reads and writes the safetensors format (Hugging Face checkpoints, PEFT adapters):
/// an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and
/// byte range, then the raw little-endian data. F32, F16 and BF16 are read (as Float);
/// F32 is written. Every header field is validated before any byte is read.
public enum SafetensorsFile {
    /// One tensor's entry in the header.
    public struct Entry: Sendable, Equatable {
        public var name: String
        /// "F32", "F16" or "BF16".
        public var dtype: String
        public var shape: [Int]
        /// Byte range inside the data section (after the header).
        public var dataOffsets: Range<Int>
    }

    /// A parsed header: tensor entries (in data order) and the `__metadata__` strings.
    public struct Header: Sendable, Equatable {
        public var entries: [Entry]
        public var metadata: [String: String]
    }

    static let elementSizes: [String: Int] = ["F32": 4, "F16": 2, "BF16": 2]
    /// Headers larger than this are refused as corrupt (real ones are at most a few MB).
    static let maxHeaderBytes = 100 << 20

    /// All tensors of the file, converted to Float.
    public static func read(path: String) throws -> [String: Tensor] {
        try readWithMetadata(path: path).tensors
    }

    /// All tensors and the `__metadata__` strings.
    public static func readWithMetadata(path: String) throws -> (tensors: [String: Tensor], metadata: [String: String])
    {
        let file = try MappedFile(path: path)
        let (header, dataStart) = try parseHeader(file)
        var tensors: [String: Tensor] = [:]
        tensors.reserveCapacity(header.entries.count)
        for e in header.entries {
            tensors[e.name] = try tensor(e, file: file, dataStart: dataStart)
        }
        return (tensors, header.metadata)
    }

    /// The header alone (names, dtypes, shapes, metadata), without reading tensor data.
    public static func header(path: String) throws -> Header {
        try parseHeader(try MappedFile(path: path)).header
    }

    /// Writes `tensors` as F32 in the given order, with `metadata` as `__metadata__`. The file
    /// is written under a temporary name in the same folder and renamed into place, so a reader
    /// never sees a half-written file.
    public static func write(
        _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
        to path: String
    ) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, t) in tensors {
            guard name != "__metadata__", header[name] == nil else {
                throw ModelError.invalidInput("safetensors write \(path): duplicate or reserved tensor name '\(name)'")
            }
            let bytes = t.count * 4
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json: Data
        do {
            json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        } catch {
            throw ModelError.invalidInput("safetensors write \(path): cannot encode header: \(error)")
        }
        while json.count % 8 != 0 { json.append(0x20) }

        let temp = path + ".tmp-\(getpid())"
        guard let f = fopen(temp, "wb") else {
            throw ModelError.invalidFile(
                path: path, reason: "cannot create \(temp) (\(String(cString: strerror(errno))))")
        }
        var ok = true
        var length = UInt64(json.count).littleEndian
        ok = ok && withUnsafeBytes(of: &length) { fwrite($0.baseAddress, 1, 8, f) == 8 }
        ok = ok && json.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) == $0.count }
        for (_, t) in tensors where ok && t.count > 0 {
            ok = t.data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) == $0.count }
        }
        ok = (fclose(f) == 0) && ok
        guard ok, rename(temp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw ModelError.invalidFile(path: path, reason: "cannot write (\(reason))")
        }
    }

    // MARK: - Parsing

    static func parseHeader(_ file: MappedFile) throws -> (header: Header, dataStart: Int) {
        let path = file.path
        guard let lengthBytes = file.bytes(0, 8) else {
            throw ModelError.invalidFile(path: path, reason: "too short for a safetensors header (\(file.count) bytes)")
        }
        let length = lengthBytes.loadUnaligned(as: UInt64.self).littleEndian
        guard length >= 2, length <= UInt64(maxHeaderBytes), let json = file.bytes(8, Int(length)) else {
            throw ModelError.invalidFile(
                path: path,
                reason: "header length \(length) does not fit the file (\(file.count) bytes)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json), options: [])
        } catch {
            throw ModelError.invalidFile(path: path, reason: "header is not valid JSON")
        }
        guard let dict = object as? [String: Any] else {
            throw ModelError.invalidFile(path: path, reason: "header is not a JSON object")
        }
        let dataStart = 8 + Int(length)
        let dataSize = file.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in dict {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else {
                    throw ModelError.invalidFile(path: path, reason: "__metadata__ is not an object")
                }
                for (k, v) in m {
                    guard let s = v as? String else {
                        throw ModelError.invalidFile(path: path, reason: "__metadata__ value of '\(k)' is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            func bad(_ reason: String) -> ModelError { .invalidTensor(path: path, tensor: name, reason: reason) }
            guard let info = value as? [String: Any] else { throw bad("header entry is not an object") }
            guard let dtype = info["dtype"] as? String else { throw bad("missing dtype") }
            guard let size = elementSizes[dtype] else {
                throw bad("unsupported dtype \(dtype) (supported: F32, F16, BF16)")
            }
            guard let shapeAny = info["shape"] as? [Any] else { throw bad("missing shape") }
            var shape: [Int] = []
            var count = 1
            for dim in shapeAny {
                guard let n = exactInt(dim), n >= 0 else { throw bad("invalid shape \(shapeAny)") }
                let (c, overflow) = count.multipliedReportingOverflow(by: n)
                guard !overflow else { throw bad("shape \(shapeAny) is too large") }
                shape.append(n)
                count = c
            }
            guard let offs = info["data_offsets"] as? [Any], offs.count == 2,
                let begin = exactInt(offs[0]), let end = exactInt(offs[1])
            else {
                throw bad("missing or invalid data_offsets")
            }
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw bad(
                    "data_offsets [\(begin), \(end)] outside the data section (\(dataSize) bytes; file truncated?)")
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, end - begin == bytes else {
                throw bad("data_offsets hold \(end - begin) bytes but \(dtype) \(shape) needs \(count * size)")
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end))
        }
        entries.sort { $0.dataOffsets.lowerBound < $1.dataOffsets.lowerBound }
        return (Header(entries: entries, metadata: metadata), dataStart)
    }

    /// JSON numbers arrive as NSNumber; accept only exact non-fractional integers.
    static func exactInt(_ any: Any) -> Int? {
        if let n = any as? Int { return n }
        if let d = any as? Double, d == d.rounded(), abs(d) < 9e15 { return Int(d) }
        return nil
    }

    static func tensor(_ e: Entry, file: MappedFile, dataStart: Int) throws -> Tensor {
        guard let src = file.bytes(dataStart + e.dataOffsets.lowerBound, e.dataOffsets.count) else {
            throw ModelError.invalidTensor(path: file.path, tensor: e.name, reason: "data outside the file")
        }
        let count = e.shape.reduce(1, *)
        let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let dst = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
            switch e.dtype {
            case "F16": FloatConversion.halves(src, into: dst)
            case "BF16": FloatConversion.bfloats(src, into: dst)
            default: FloatConversion.floats(src, into: dst)
            }
            initialized = count
        }
        return Tensor(shape: e.shape, data: data)
    }
}

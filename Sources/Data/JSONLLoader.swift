import Foundation

/// Reads JSON Lines files of instruction records (one JSON object per line).
public enum JSONLLoader {
    /// Loads `path`. Blank lines are ignored; every other line is one record, and its 0-based index
    /// among the non-blank lines is the sample id (so ids do not shift when bad lines are skipped).
    /// - Parameters:
    ///   - fields: which keys to read (`.generic` or `.dolly`).
    ///   - allowedCategories: when given, a category outside it is an `unknownCategory` problem.
    ///   - policy: stop at the first problem (throwing it) or skip the record and list it.
    public static func load(
        path: String, fields: JSONLFields = .generic, allowedCategories: Set<String>? = nil,
        policy: MalformedLinePolicy = .stop, name: String? = nil
    ) throws -> Dataset {
        try load(
            data: try readFile(path), path: path, fields: fields, allowedCategories: allowedCategories,
            policy: policy, name: name)
    }

    /// Reads the bytes of a JSONL file (`path` only names it in errors).
    public static func load(
        data: Data, path: String, fields: JSONLFields = .generic, allowedCategories: Set<String>? = nil,
        policy: MalformedLinePolicy = .stop, name: String? = nil
    ) throws -> Dataset {
        var samples: [Sample] = []
        var skipped: [DataError] = []
        var recordIndex = 0
        var lineNumber = 0
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                lineNumber += 1
                var lineEnd = end
                if lineEnd > start && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let isBlank = (start..<lineEnd).allSatisfy { b in bytes[b] == 0x20 || bytes[b] == 0x09 }
                if !isBlank {
                    let line = Data(bytes: raw.baseAddress! + start, count: lineEnd - start)
                    do {
                        samples.append(
                            try parse(
                                line: line, path: path, lineNumber: lineNumber, id: recordIndex,
                                fields: fields, allowedCategories: allowedCategories))
                    } catch let error as DataError {
                        if policy == .stop { throw error }
                        skipped.append(error)
                    }
                    recordIndex += 1
                }
                start = end + 1
            }
        }
        return Dataset(name: name ?? URL(fileURLWithPath: path).lastPathComponent, samples: samples, skipped: skipped)
    }

    static func readFile(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError.fileNotFound(path: path)
        }
        if isDirectory.boolValue { throw DataError.unreadable(path: path, reason: "is a directory, expected a file") }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DataError.unreadable(path: path, reason: error.localizedDescription)
        }
    }

    static func parse(
        line: Data, path: String, lineNumber: Int, id: Int, fields: JSONLFields,
        allowedCategories: Set<String>?
    ) throws -> Sample {
        // JSONDecoder, not JSONSerialization: the latter drops U+FEFF inside strings on Linux.
        let record: [String: JSONField]
        do {
            record = try JSONDecoder().decode([String: JSONField].self, from: line)
        } catch DecodingError.typeMismatch {
            throw DataError.malformedJSON(path: path, line: lineNumber, reason: "not a JSON object")
        } catch {
            throw DataError.malformedJSON(path: path, line: lineNumber, reason: JSONField.reason(error))
        }
        func string(_ key: String, required: Bool) throws -> String {
            switch record[key] {
            case let .string(text)?: return text
            case .null?, nil:
                if required { throw DataError.missingField(path: path, line: lineNumber, field: key) }
                return ""
            case .other?: throw DataError.missingField(path: path, line: lineNumber, field: key)
            }
        }
        let instruction = try string(fields.instruction, required: true)
        let inputKey = record[fields.input] == nil ? fields.inputFallback ?? fields.input : fields.input
        let outputKey = record[fields.output] == nil ? fields.outputFallback ?? fields.output : fields.output
        let input = try string(inputKey, required: fields.inputRequired)
        let output = try string(outputKey, required: true)
        let category = try string(fields.category, required: fields.categoryRequired)
        if let allowed = allowedCategories, !allowed.contains(category) {
            throw DataError.unknownCategory(path: path, line: lineNumber, category: category)
        }
        return Sample(id: id, instruction: instruction, input: input, output: output, category: category)
    }
}

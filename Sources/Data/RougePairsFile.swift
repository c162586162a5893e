import Foundation

/// A JSONL file of hypothesis/reference pairs (`{"hyp": ..., "ref": ...}` per line; other keys ignored).
public enum RougePairsFile {
    public struct Pair: Sendable, Equatable, Decodable {
        public var hyp: String
        public var ref: String
        /// The 1-based line of the file it came from.
        public var line: Int = 0

        public init(hyp: String, ref: String, line: Int) {
            self.hyp = hyp
            self.ref = ref
            self.line = line
        }

        enum CodingKeys: String, CodingKey { case hyp, ref }
    }

    /// Reads the pairs; blank lines are ignored, anything else that is not an object with string
    /// "hyp" and "ref" throws a `DataError` naming file and line.
    public static func load(path: String) throws -> [Pair] {
        let data = try JSONLLoader.readFile(path)
        let decoder = JSONDecoder()
        var pairs: [Pair] = []
        var lineNumber = 0
        for raw in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            if raw.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let fields: [String: JSONField]
            do {
                fields = try decoder.decode([String: JSONField].self, from: Data(raw))
            } catch {
                throw DataError.malformedJSON(path: path, line: lineNumber, reason: JSONField.reason(error))
            }
            guard case let .string(hyp)? = fields["hyp"] else {
                throw DataError.missingField(path: path, line: lineNumber, field: "hyp")
            }
            guard case let .string(ref)? = fields["ref"] else {
                throw DataError.missingField(path: path, line: lineNumber, field: "ref")
            }
            pairs.append(Pair(hyp: hyp, ref: ref, line: lineNumber))
        }
        return pairs
    }
}

import Foundation

/// Reads Super-NaturalInstructions (v2.8 layout: `tasks/<task>.json`, `splits/<split>/*.txt`).
public enum NaturalInstructionsLoader {
    /// The split lists under `<root>/splits/<split>/`. Blank lines are ignored, names trimmed.
    public static func loadSplits(root: String, split: String = "default") throws -> NISplits {
        func names(_ file: String) throws -> [String] {
            let path = root + "/splits/" + split + "/" + file
            let data = try JSONLLoader.readFile(path)
            guard let text = String(data: data, encoding: .utf8) else {
                throw DataError.unreadable(path: path, reason: "not UTF-8 text")
            }
            return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
        }
        return NISplits(train: try names("train_tasks.txt"), test: try names("test_tasks.txt"))
    }

    /// The path of a task's file under `root`.
    public static func taskPath(root: String, task: String) -> String {
        root + "/tasks/" + task + ".json"
    }

    /// Loads one task file. An instance without a string `input` or a non-empty `output` list of
    /// strings is a problem: thrown under `.stop`, left out and returned in `skipped` under `.skip`.
    /// A file that is not JSON, or without Definition or Instances, always throws.
    public static func loadTask(path: String, policy: MalformedLinePolicy = .stop) throws -> (
        task: NITask, skipped: [DataError]
    ) {
        let data = try JSONLLoader.readFile(path)
        let raw: RawTask
        do {
            raw = try JSONDecoder().decode(RawTask.self, from: data)
        } catch let error as DataError {
            throw error
        } catch DecodingError.typeMismatch(_, let context) {
            throw DataError.invalidTask(
                path: path, reason: "unexpected type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
            )
        } catch DecodingError.keyNotFound(let key, _) {
            throw DataError.missingField(path: path, line: 0, field: key.stringValue)
        } catch {
            throw DataError.malformedJSON(path: path, line: 0, reason: JSONField.reason(error))
        }
        let definition: String
        switch raw.definition {
        case let .string(text): definition = text
        case let .list(items):
            guard let first = items.first else {
                throw DataError.invalidTask(path: path, reason: "Definition is an empty list")
            }
            definition = first
        }
        var instances: [NIInstance] = []
        var skipped: [DataError] = []
        instances.reserveCapacity(raw.instances.count)
        for (k, instance) in raw.instances.enumerated() {
            // "line" is the 1-based instance number for task files.
            do {
                guard case let .string(input) = instance.input else {
                    throw DataError.missingField(path: path, line: k + 1, field: "input")
                }
                guard let outputs = instance.outputs, !outputs.isEmpty else {
                    throw DataError.missingField(path: path, line: k + 1, field: "output")
                }
                instances.append(NIInstance(input: input, outputs: outputs))
            } catch let error as DataError {
                if policy == .stop { throw error }
                skipped.append(error)
            }
        }
        let categories = raw.categories
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return (NITask(name: name, definition: definition, categories: categories, instances: instances), skipped)
    }
}

/// The fields of a task file the loader reads (decoded directly: fast on files of many MB).
private struct RawTask: Decodable {
    enum Definition {
        case string(String)
        case list([String])
    }
    struct Instance: Decodable {
        var input: JSONField
        /// nil when missing or not a string / list of strings.
        var outputs: [String]?
        enum Keys: String, CodingKey { case input, output }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            input = (try? c.decodeIfPresent(JSONField.self, forKey: .input)) ?? .null
            if let list = try? c.decode([String].self, forKey: .output) {
                outputs = list
            } else if let text = try? c.decode(String.self, forKey: .output) {
                outputs = [text]
            } else {
                outputs = nil
            }
        }
    }
    var definition: Definition
    var categories: [String]
    var instances: [Instance]
    enum Keys: String, CodingKey { case Definition, Categories, Instances }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        if let list = try? c.decode([String].self, forKey: .Definition) {
            definition = .list(list)
        } else {
            definition = .string(try c.decode(String.self, forKey: .Definition))
        }
        categories = (try? c.decodeIfPresent([String].self, forKey: .Categories)) ?? []
        instances = try c.decode([Instance].self, forKey: .Instances)
    }
}

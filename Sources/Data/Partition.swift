import Foundation

/// A federated partition as a small auditable manifest: which sample ids each client holds and
/// which are held out for evaluation. Written as JSON with one client per line.
public struct Partition: Sendable, Equatable, Codable {
    /// The dataset the ids refer to ("dolly", "natural-instructions", or a file name).
    public var dataset: String
    /// How it was made: "dirichlet", "iid" or "ni-tasks".
    public var method: String
    /// The seed the caller drew it with, if it wants it recorded.
    public var seed: UInt64?
    /// The parameters that made it (e.g. "alpha": "0.5", "heldOutCategory": "summarization").
    public var parameters: [String: String]
    /// Number of samples in the dataset the ids refer to (a guard against applying it to other data).
    public var sampleCount: Int
    /// One name per client ("client-0", or the Natural Instructions task name).
    public var clientNames: [String]
    /// Sample ids per client.
    public var clients: [[Int]]
    /// Sample ids held out for evaluation.
    public var evaluation: [Int]

    public init(
        dataset: String, method: String, seed: UInt64? = nil, parameters: [String: String] = [:],
        sampleCount: Int, clientNames: [String], clients: [[Int]], evaluation: [Int]
    ) {
        self.dataset = dataset
        self.method = method
        self.seed = seed
        self.parameters = parameters
        self.sampleCount = sampleCount
        self.clientNames = clientNames
        self.clients = clients
        self.evaluation = evaluation
    }

    /// The manifest as JSON text (keys sorted, one client per line).
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func enc<T: Encodable>(_ value: T) throws -> String {
            String(decoding: try encoder.encode(value), as: UTF8.self)
        }
        var lines: [String] = ["{"]
        lines.append("  \"clientNames\": [")
        lines.append(try clientNames.map { "    " + (try enc($0)) }.joined(separator: ",\n"))
        lines.append("  ],")
        lines.append("  \"clients\": [")
        lines.append(try clients.map { "    " + (try enc($0)) }.joined(separator: ",\n"))
        lines.append("  ],")
        lines.append("  \"dataset\": \(try enc(dataset)),")
        lines.append("  \"evaluation\": \(try enc(evaluation)),")
        lines.append("  \"method\": \(try enc(method)),")
        lines.append("  \"parameters\": \(try enc(parameters)),")
        lines.append("  \"sampleCount\": \(sampleCount),")
        lines.append("  \"seed\": \(seed.map(String.init) ?? "null")")
        lines.append("}")
        return lines.filter { !$0.isEmpty }.joined(separator: "\n") + "\n"
    }

    /// Writes the manifest to `path`.
    public func write(to path: String) throws {
        do {
            try Data(try jsonText().utf8).write(to: URL(fileURLWithPath: path))
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError.unreadable(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads a manifest written by `write(to:)`, checking that it is consistent.
    public static func read(from path: String) throws -> Partition {
        let data = try JSONLLoader.readFile(path)
        let partition: Partition
        do {
            partition = try JSONDecoder().decode(Partition.self, from: data)
        } catch {
            throw DataError.malformedJSON(path: path, line: 0, reason: "not a partition manifest: \(error)")
        }
        guard partition.clientNames.count == partition.clients.count else {
            throw DataError.manifestMismatch(
                "\(path): \(partition.clientNames.count) client names for \(partition.clients.count) clients")
        }
        return partition
    }

    /// Checks that every id exists in `dataset` and that no id is used twice.
    public func validate(against dataset: Dataset) throws {
        guard dataset.samples.count == sampleCount else {
            throw DataError.manifestMismatch(
                "manifest is for \(sampleCount) samples, dataset \(dataset.name) has \(dataset.samples.count)")
        }
        let known = Set(dataset.samples.map(\.id))
        var seen = Set<Int>()
        for id in clients.joined() + evaluation {
            guard known.contains(id) else {
                throw DataError.manifestMismatch("sample id \(id) is not in dataset \(dataset.name)")
            }
            guard seen.insert(id).inserted else { throw DataError.manifestMismatch("sample id \(id) appears twice") }
        }
    }
}

import Foundation

/// Reads and writes device traces: JSON Lines, one object per client (format in
/// experiments/README.md, "Device traces"). Lines starting with `#` and blank lines are skipped.
/// Every error names the file, the line and the field (`ActorsError.invalidTrace`).
public enum DeviceTrace {
    typealias Path = WritableKeyPath<DeviceProfile, Double> & Sendable
    typealias Field = (key: String, path: Path, least: Double, inclusive: Bool)
    /// Required numeric fields, with the least value each may take and whether it may equal it.
    static let numbers: [Field] = [
        ("feature_s_per_1k", \.featureSecondsPer1k, 0, true),
        ("train_s_per_1k", \.trainSecondsPer1k, 0, true),
        ("generate_s_per_1k", \.generateSecondsPer1k, 0, true),
        ("down_mbps", \.downMbps, 0, false),
        ("up_mbps", \.upMbps, 0, false),
        ("latency_s", \.latency, 0, true)
    ]
    static let optional = ["dropout", "period_s", "online"]
    static var allFields: [String] { ["client"] + numbers.map(\.key) + optional }

    /// Reads the trace at `path` for a federation of `clients` clients.
    public static func read(path: String, clients: Int) throws -> SystemModel {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ActorsError.invalidTrace(file: path, line: nil, field: nil, reason: "cannot read the file")
        }
        return try parse(text, file: path, clients: clients)
    }

    /// Reads a trace's text. Each client 0..<clients needs exactly one line; lines of clients at
    /// or beyond `clients` are checked and then ignored (a 200-client trace serves a smaller run).
    public static func parse(_ text: String, file: String, clients: Int) throws -> SystemModel {
        var devices: [DeviceProfile?] = Array(repeating: nil, count: clients)
        var seenOn: [Int: Int] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let number = index + 1
            let (client, device) = try parseLine(line, file: file, line: number)
            if let earlier = seenOn[client] {
                throw ActorsError.invalidTrace(
                    file: file, line: number, field: "client",
                    reason: "client \(client) already has line \(earlier)")
            }
            seenOn[client] = number
            if client < clients { devices[client] = device }
        }
        let missing = (0..<clients).filter { devices[$0] == nil }
        if !missing.isEmpty {
            let list = missing.prefix(10).map(String.init).joined(separator: ", ") + (missing.count > 10 ? ", ..." : "")
            let reason = "no line for clients \(list) (each of the \(clients) clients needs one)"
            throw ActorsError.invalidTrace(file: file, line: nil, field: "client", reason: reason)
        }
        return SystemModel(devices: devices.map { $0! })
    }

    static func parseLine(_ line: String, file: String, line lineNumber: Int) throws -> (Int, DeviceProfile) {
        func bad(_ field: String?, _ reason: String) -> ActorsError {
            .invalidTrace(file: file, line: lineNumber, field: field, reason: reason)
        }
        let object: [String: TraceValue]
        do {
            object = try JSONDecoder().decode([String: TraceValue].self, from: Data(line.utf8))
        } catch {
            throw bad(nil, "not a JSON object")
        }
        if let unknown = object.keys.sorted().first(where: { !allFields.contains($0) }) {
            throw bad(unknown, "unknown field (known: \(allFields.joined(separator: ", ")))")
        }
        func number(_ key: String) throws -> Double? {
            guard let v = object[key] else { return nil }
            guard case let .number(x) = v else { throw bad(key, "expected a number, got \(v.kind)") }
            return x
        }
        guard let id = try number("client") else { throw bad("client", "missing") }
        guard id >= 0, id == id.rounded(), id < 1e9 else {
            throw bad("client", "expected a client id (an integer >= 0), got \(id)")
        }
        var device = DeviceProfile.uniform
        for f in numbers {
            guard let x = try number(f.key) else { throw bad(f.key, "missing") }
            guard f.inclusive ? x >= f.least : x > f.least else {
                throw bad(f.key, "\(x) must be \(f.inclusive ? "at least" : "more than") \(f.least)")
            }
            device[keyPath: f.path] = x
        }
        device.dropout = try number("dropout") ?? 0
        guard device.dropout >= 0, device.dropout < 1 else {
            throw bad("dropout", "\(device.dropout) is outside [0, 1)")
        }
        device.availability = try availability(try number("period_s"), object["online"], bad)
        return (Int(id), device)
    }

    static func availability(
        _ period: Double?, _ online: TraceValue?,
        _ bad: (String?, String) -> ActorsError
    ) throws -> Availability {
        switch (period, online) {
        case (nil, nil): return .always
        case (nil, _?): throw bad("period_s", "missing (`online` windows repeat every `period_s` seconds)")
        case (_?, nil): throw bad("online", "missing (`period_s` is given)")
        case let (p?, o?):
            guard p > 0 else { throw bad("period_s", "\(p) must be more than 0") }
            guard case let .array(items) = o, !items.isEmpty else {
                throw bad("online", "expected a non-empty array of [start, end] windows")
            }
            var windows: [Availability.Window] = []
            for (i, item) in items.enumerated() {
                guard case let .array(pair) = item, pair.count == 2,
                    case let .number(start) = pair[0], case let .number(end) = pair[1]
                else {
                    throw bad("online", "window \(i + 1) is not a [start, end] pair of numbers")
                }
                guard start >= 0, start < end, end <= p else {
                    throw bad("online", "window \(i + 1) [\(start), \(end)] needs 0 <= start < end <= period_s (\(p))")
                }
                if let last = windows.last, start < last.end {
                    let why = "starts before window \(i) ends (windows must be sorted, disjoint)"
                    throw bad("online", "window \(i + 1) \(why)")
                }
                windows.append(Availability.Window(start: start, end: end))
            }
            return Availability(period: p, windows: windows)
        }
    }

    /// The trace of `model` (clients in order), which `parse` reads back to an equal model.
    public static func render(_ model: SystemModel, header: [String] = []) -> String {
        var out = header.map { "# " + $0 + "\n" }.joined()
        for (c, d) in model.devices.enumerated() {
            var fields = ["\"client\": \(c)"]
            for f in numbers { fields.append("\"\(f.key)\": \(d[keyPath: f.path])") }
            if d.dropout > 0 { fields.append("\"dropout\": \(d.dropout)") }
            if !d.availability.windows.isEmpty {
                let w = d.availability.windows.map { "[\($0.start), \($0.end)]" }.joined(separator: ", ")
                fields.append("\"period_s\": \(d.availability.period)")
                fields.append("\"online\": [\(w)]")
            }
            out += "{" + fields.joined(separator: ", ") + "}\n"
        }
        return out
    }
}

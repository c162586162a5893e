import Foundation
import Testing
@testable import Actors

/// The device trace reader: a valid trace, every kind of malformed line named by line and field,
/// the shipped synthetic trace, and the `[clock]` configuration keys.
@Suite struct DeviceTraceTests {
    static let good =
        "# two clients\n"
        + #"{"client": 1, "feature_s_per_1k": 2, "train_s_per_1k": 20, "generate_s_per_1k": 80, "down_mbps": 10, "#
        + #""up_mbps": 2, "latency_s": 0.1}"# + "\n\n"
        + #"{"client": 0, "feature_s_per_1k": 0.5, "train_s_per_1k": 5, "generate_s_per_1k": 20, "down_mbps": 50, "#
        + #""up_mbps": 10, "latency_s": 0.02, "dropout": 0.1, "period_s": 86400, "#
        + #""online": [[0, 3600], [72000, 86400]]}"#

    @Test func readsAValidTrace() throws {
        let m = try DeviceTrace.parse(Self.good, file: "t.jsonl", clients: 2)
        #expect(
            m.devices[1]
                == DeviceProfile(
                    featureSecondsPer1k: 2, trainSecondsPer1k: 20, generateSecondsPer1k: 80,
                    downMbps: 10, upMbps: 2, latency: 0.1))
        #expect(m.devices[0].dropout == 0.1 && m.devices[0].availability.windows.count == 2)
        #expect(m.devices[0].availability.onlineUntil(80_000) == 86_400 + 3600)
        // A smaller federation takes the trace's first clients.
        #expect(try DeviceTrace.parse(Self.good, file: "t.jsonl", clients: 1).devices == [m.devices[0]])
        // Rendering and reading again gives the same devices.
        let synthetic = SystemModel.synthetic(clients: 30, seed: 3)
        let text = DeviceTrace.render(synthetic, header: ["x"])
        #expect(try DeviceTrace.parse(text, file: "r", clients: 30) == synthetic)
    }

    /// One valid line of client 0 with `edit` applied to its fields (nil removes a field).
    static func line(_ edit: [String: String?] = [:]) -> String {
        var fields: [(String, String)] = [
            ("client", "0"), ("feature_s_per_1k", "1"), ("train_s_per_1k", "10"),
            ("generate_s_per_1k", "40"), ("down_mbps", "20"), ("up_mbps", "5"),
            ("latency_s", "0.05")
        ]
        for (k, v) in edit.sorted(by: { $0.key < $1.key }) {
            fields.removeAll { $0.0 == k }
            if let v { fields.append((k, v)) }
        }
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    /// The error of reading a trace whose line 2 is `bad` (line 1 is a comment).
    static func error(_ bad: String, clients: Int = 1) -> ActorsError? {
        do {
            _ = try DeviceTrace.parse("# header\n" + bad + "\n", file: "bad.jsonl", clients: clients)
            return nil
        } catch let e as ActorsError {
            return e
        } catch {
            return nil
        }
    }

    static func expectError(_ bad: String, line: Int? = 2, field: String?, saying words: String, clients: Int = 1) {
        guard case let .invalidTrace(file, l, f, reason)? = error(bad, clients: clients) else {
            Issue.record("no trace error for \(bad)")
            return
        }
        #expect(file == "bad.jsonl" && l == line && f == field, "\(bad)")
        #expect(reason.contains(words), "\(reason)")
    }

    @Test func rejectsMalformedLinesNamingLineAndField() {
        Self.expectError("{\"client\": 0,", field: nil, saying: "not a JSON object")
        Self.expectError("[1, 2]", field: nil, saying: "not a JSON object")
        Self.expectError(Self.line(["client": nil]), field: "client", saying: "missing")
        Self.expectError(Self.line(["client": "1.5"]), field: "client", saying: "integer")
        Self.expectError(Self.line(["client": "-1"]), field: "client", saying: "integer")
        Self.expectError(Self.line(["up_mbps": nil]), field: "up_mbps", saying: "missing")
        Self.expectError(
            Self.line(["train_s_per_1k": "\"fast\""]), field: "train_s_per_1k",
            saying: "expected a number, got a string")
        Self.expectError(Self.line(["latency_s": "true"]), field: "latency_s", saying: "got a boolean")
        Self.expectError(Self.line(["down_mbps": "0"]), field: "down_mbps", saying: "must be more than 0")
        Self.expectError(Self.line(["feature_s_per_1k": "-1"]), field: "feature_s_per_1k", saying: "must be at least 0")
        Self.expectError(Self.line(["dropout": "1"]), field: "dropout", saying: "outside [0, 1)")
        Self.expectError(Self.line(["speed": "3"]), field: "speed", saying: "unknown field")
        Self.expectError(Self.line(["online": "[[0, 10]]"]), field: "period_s", saying: "missing")
        Self.expectError(Self.line(["period_s": "100"]), field: "online", saying: "missing")
        Self.expectError(Self.line(["period_s": "0", "online": "[[0, 10]]"]), field: "period_s", saying: "more than 0")
        Self.expectError(Self.line(["period_s": "100", "online": "[]"]), field: "online", saying: "non-empty")
        Self.expectError(Self.line(["period_s": "100", "online": "[[0, 10, 20]]"]), field: "online", saying: "window 1")
        Self.expectError(
            Self.line(["period_s": "100", "online": "[[50, 120]]"]), field: "online",
            saying: "0 <= start < end <= period_s")
        Self.expectError(Self.line(["period_s": "100", "online": "[[30, 20]]"]), field: "online", saying: "start < end")
        Self.expectError(
            Self.line(["period_s": "100", "online": "[[0, 30], [20, 40]]"]), field: "online",
            saying: "window 2 starts before window 1 ends")
        Self.expectError(
            Self.line() + "\n" + Self.line(), line: 3, field: "client",
            saying: "client 0 already has line 2")
        Self.expectError(Self.line(), line: nil, field: "client", saying: "no line for clients 1, 2", clients: 3)
        Self.expectError("", line: nil, field: "client", saying: "no line for clients 0")
    }

    @Test func errorMessageNamesFileLineAndField() {
        let e = ActorsError.invalidTrace(file: "a.jsonl", line: 7, field: "up_mbps", reason: "missing")
        #expect(e.description == "device trace a.jsonl line 7, field `up_mbps`: missing")
        let unreadable = ActorsError.invalidTrace(
            file: "/nonexistent.jsonl", line: nil, field: nil,
            reason: "cannot read the file")
        #expect(throws: unreadable) {
            try DeviceTrace.read(path: "/nonexistent.jsonl", clients: 1)
        }
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The shipped trace, made by experiments/scripts/make-device-trace.py (seed 1), is the
    /// Swift synthetic model of seed 1: two implementations of the documented distribution agree.
    @Test func shippedTraceIsTheSyntheticModel() throws {
        let path = Self.repository.appendingPathComponent("experiments/traces/synthetic-200.jsonl").path
        let shipped = try DeviceTrace.read(path: path, clients: 200)
        let swift = SystemModel.synthetic(clients: 200, seed: 1)
        for (a, b) in zip(shipped.devices, swift.devices) {
            func numbers(_ d: DeviceProfile) -> [Double] {
                [
                    d.featureSecondsPer1k, d.trainSecondsPer1k, d.generateSecondsPer1k, d.downMbps, d.upMbps, d.latency,
                    d.dropout
                ]
            }
            #expect(zip(numbers(a), numbers(b)).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) })
            #expect(a.availability.period == b.availability.period)
            #expect(a.availability.windows.count == b.availability.windows.count)
            for (v, w) in zip(a.availability.windows, b.availability.windows) {
                #expect(abs(v.start - w.start) < 1e-9 && abs(v.end - w.end) < 1e-9)
            }
        }
        // The documented shares, roughly: 10 % always online, slow devices about 30 %.
        let always = shipped.devices.filter { $0.availability.isAlwaysOnline }.count
        let slow = shipped.devices.filter { $0.trainSecondsPer1k > 25 }.count
        #expect((8...40).contains(always) && (35...85).contains(slow))
    }

    @Test func clockKeysParseRenderAndValidate() throws {
        let c = try RunConfig.parse(
            toml: """
                [clock]
                kind = "simulated"
                devices = "trace"
                trace = "experiments/traces/synthetic-200.jsonl"
                over_selection = 1.3
                feature_deadline = 120
                train_deadline = 600
                """)
        #expect(c.clockKind == .simulated && c.clockDevices == .trace && c.overSelection == 1.3)
        #expect(c.simulatedFeatureDeadline == 120 && c.simulatedTrainDeadline == 600)
        #expect(try RunConfig.parse(toml: c.renderTOML()) == c)
        let d = RunConfig()
        #expect(d.clockKind == .wall && d.clockDevices == .uniform && d.overSelection == 1 && d.clockTrace.isEmpty)
        func refusal(_ toml: String) -> String {
            do { _ = try RunConfig.parse(toml: toml); return "" } catch { return "\(error)" }
        }
        #expect(refusal("[clock]\nkind = \"virtual\"").contains("`clock.kind`"))
        #expect(refusal("[clock]\nkind = \"simulated\"\nover_selection = 0.5").contains("`clock.over_selection`"))
        #expect(
            refusal("[clock]\nover_selection = 1.5")
                .contains("`clock.over_selection` applies to the simulated clock only"))
        #expect(refusal("[clock]\ntrain_deadline = 10").contains("`clock.train_deadline`"))
        #expect(refusal("[clock]\nkind = \"simulated\"\ndevices = \"trace\"").contains("`clock.trace` is empty"))
        #expect(refusal("[clock]\nkind = \"simulated\"\ntrace = \"x.jsonl\"").contains("`clock.trace` is set"))
        #expect(refusal("[clock]\nkind = \"simulated\"\nfeature_deadline = -1").contains("`clock.feature_deadline`"))
    }

    @Test func clockFromConfigReadsTheTraceAndDeadlines() throws {
        var c = RunConfig()
        c.clockKind = .simulated
        c.clockDevices = .trace
        c.clockTrace = Self.repository.appendingPathComponent("experiments/traces/synthetic-200.jsonl").path
        c.clients = 20
        c.simulatedTrainDeadline = 300
        c.overSelection = 1.5
        let configPath = Self.repository.appendingPathComponent("experiments/x.toml").path
        let clock = try c.simulatedClock(configPath: configPath)
        #expect(clock.system.clients == 20 && clock.deadlines == [.train: 300] && clock.overSelection == 1.5)
        // Relative to the configuration file's folder when not found from the working directory.
        c.clockTrace = "traces/synthetic-200.jsonl"
        #expect(try c.simulatedClock(configPath: configPath).system == clock.system)
        c.clockDevices = .synthetic
        c.clockTrace = ""
        #expect(try c.simulatedClock().system == .synthetic(clients: 20, seed: c.seed))
    }
}

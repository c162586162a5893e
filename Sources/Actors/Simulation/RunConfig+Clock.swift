import Foundation

extension RunConfig {
    /// Cross-key checks of the `[clock]` section: simulated-only keys are refused on the wall
    /// clock, and a trace is named exactly when `clock.devices` is "trace".
    func validateClock() throws {
        if clockDevices == .trace, clockTrace.isEmpty {
            throw ActorsError.invalidConfiguration(
                "`clock.trace` is empty but `clock.devices` = \"trace\" needs a trace file")
        }
        if clockDevices != .trace, !clockTrace.isEmpty {
            throw ActorsError.invalidConfiguration(
                "`clock.trace` is set but `clock.devices` = \"\(clockDevices.rawValue)\" (set it to \"trace\")")
        }
        guard clockKind == .wall else { return }
        let simulatedOnly: [(String, Bool)] = [
            ("clock.devices", clockDevices != .uniform),
            ("clock.over_selection", overSelection != 1),
            ("clock.feature_deadline", simulatedFeatureDeadline != 0),
            ("clock.train_deadline", simulatedTrainDeadline != 0)
        ]
        if let (key, _) = simulatedOnly.first(where: \.1) {
            throw ActorsError.invalidConfiguration(
                "`\(key)` applies to the simulated clock only; set `clock.kind` = \"simulated\"")
        }
    }

    /// The simulated clock this configuration describes (its devices read or drawn now).
    /// `configPath`: the configuration file, whose folder a relative trace path may be under.
    public func simulatedClock(configPath: String? = nil) throws -> SimulatedClock {
        let system: SystemModel
        switch clockDevices {
        case .uniform: system = .uniform(clients: clients)
        case .synthetic: system = .synthetic(clients: clients, seed: seed)
        case .trace: system = try DeviceTrace.read(path: resolveTrace(configPath: configPath), clients: clients)
        }
        var deadlines: [SimulatedRound.Phase: Double] = [:]
        if simulatedFeatureDeadline > 0 { deadlines[.select] = simulatedFeatureDeadline }
        if simulatedTrainDeadline > 0 { deadlines[.train] = simulatedTrainDeadline }
        return SimulatedClock(system: system, seed: seed, overSelection: overSelection, deadlines: deadlines)
    }

    /// `clock.trace` as given when it exists (or is absolute), else under the configuration's folder.
    func resolveTrace(configPath: String?) -> String {
        let fm = FileManager.default
        if clockTrace.hasPrefix("/") || fm.fileExists(atPath: clockTrace) { return clockTrace }
        guard let configPath else { return clockTrace }
        let near = URL(fileURLWithPath: configPath).deletingLastPathComponent().appendingPathComponent(clockTrace).path
        return fm.fileExists(atPath: near) ? near : clockTrace
    }
}

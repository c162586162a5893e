import Foundation

/// Phase timings on standard error when the environment sets FEDHDS_SELECTION_TRACE=1.
final class SelectionTrace: @unchecked Sendable {
    private let label: String
    private let enabled = ProcessInfo.processInfo.environment["FEDHDS_SELECTION_TRACE"] == "1"
    private var last = Date()

    init(_ label: String) { self.label = label }

    func mark(_ phase: String) {
        guard enabled else { return }
        let now = Date()
        FileHandle.standardError.write(
            Data(String(format: "[%@] %@: %.3f s\n", label, phase, now.timeIntervalSince(last)).utf8))
        last = now
    }
}

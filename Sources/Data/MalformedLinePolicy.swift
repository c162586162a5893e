/// What a loader does with a record it cannot use (not JSON, a missing field, an unknown category).
public enum MalformedLinePolicy: String, Sendable, CaseIterable {
    /// Throw the first problem as a `DataError` naming file and line.
    case stop
    /// Leave the record out and list it in `Dataset.skipped`.
    case skip
}

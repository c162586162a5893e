/// Either direction: a failure with a numeric code and a human-readable text.
public struct ErrorReport: Sendable, Equatable {
    public var code: Int32
    public var text: String

    public init(code: Int32, text: String) {
        self.code = code
        self.text = text
    }
}

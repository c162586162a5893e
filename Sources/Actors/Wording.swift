/// Counts in the words people read ("1 round", "3 rounds").
public enum Wording {
    /// "1 round", "3 rounds"; `plural` for nouns that do not take an "s".
    public static func count(_ n: Int, _ noun: String, plural: String? = nil) -> String {
        "\(n) \(n == 1 ? noun : plural ?? noun + "s")"
    }
}

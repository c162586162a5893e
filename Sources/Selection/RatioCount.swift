/// How many samples a ratio selects from n: max(1, floor(n * ratio)) for n >= 1 (a client never
/// trains on nothing because its ratio rounds down), 0 for n = 0.
public enum RatioCount {
    public static func count(of n: Int, ratio: Double) throws -> Int {
        guard ratio > 0, ratio <= 1 else { throw SelectionError.invalidParameter("ratio \(ratio) must be in (0, 1]") }
        guard n > 0 else { return 0 }
        return max(1, min(n, Int((Double(n) * ratio).rounded(.down))))
    }
}

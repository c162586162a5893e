extension RunResult {
    /// result.json of `fedhds eval`: one evaluation, no rounds (`rounds` 0, method "untuned" or
    /// "adapter").
    public static func evaluation(
        name: String, method: String, rougeL: Double, evaluated: Int, seconds: Double,
        evaluations: [String: Double], adapterPath: String, adapterSHA: String,
        provenance: Provenance
    ) -> RunResult {
        RunResult(
            name: name, method: method, rounds: 0, rougeLBefore: nil, rougeL: rougeL, dataRatio: 0,
            totalSeconds: seconds,
            secondsPerClientRound: 0, evaluations: evaluations, adapterPath: adapterPath, adapterSHA: adapterSHA,
            privacy: nil, evaluated: evaluated, provenance: provenance)
    }
}

import Foundation

extension Coordinator {
    /// One evaluation of the run: the score, and its predictions file written into the output
    /// folder (predictions.jsonl after the last round, predictions-round-N.jsonl otherwise).
    static func evaluate(
        _ compute: any FederatedCompute, adapter: [Float], round: Int, final: Bool,
        output: RunOutput
    ) async throws -> EvaluationOutcome {
        let outcome = try await compute.evaluateWithPredictions(adapter: adapter)
        if !outcome.predictions.isEmpty {
            try PredictionsFile.write(outcome.predictions, to: output.predictionsURL(round: round, final: final))
        }
        return outcome
    }
}

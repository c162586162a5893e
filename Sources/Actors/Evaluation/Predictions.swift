import Foundation

/// One line of predictions.jsonl: a held-out (or validation) sample, what the model generated
/// for it and its Rouge-L F against the reference.
///
/// `id` is `Sample.id`: for Dolly the 0-based index of the record among the non-blank lines of
/// the shipped jsonl file; for Natural Instructions the loader's running index, with the task
/// name in `task`. `prediction` is the generated text without the prompt, trimmed of surrounding
/// whitespace, exactly as it was scored.
public struct Prediction: Sendable, Codable, Equatable {
    public var id: Int
    public var category: String
    /// Natural Instructions: the task of the sample (nil for Dolly).
    public var task: String?
    public var prediction: String
    public var reference: String
    /// Rouge-L F (rouge 1.0.1; an empty prediction scores 0).
    public var rougeL: Double

    public init(id: Int, category: String, task: String? = nil, prediction: String, reference: String, rougeL: Double) {
        self.id = id
        self.category = category
        self.task = task
        self.prediction = prediction
        self.reference = reference
        self.rougeL = rougeL
    }

    enum CodingKeys: String, CodingKey {
        case id, category, task, prediction, reference
        case rougeL = "rouge_l"
    }
}

/// An evaluation: the mean Rouge-L and, when the compute can say, each sample's prediction.
/// `score` is the mean of the predictions' `rougeL` in file order.
public struct EvaluationOutcome: Sendable, Equatable {
    public var score: Double
    public var predictions: [Prediction]

    public init(score: Double, predictions: [Prediction]) {
        self.score = score
        self.predictions = predictions
    }

    /// Mean of the predictions' Rouge-L, summed in order (0 for none).
    public init(predictions: [Prediction]) {
        self.predictions = predictions
        score = predictions.isEmpty ? 0 : predictions.reduce(0.0) { $0 + $1.rougeL } / Double(predictions.count)
    }
}

extension FederatedCompute {
    /// Default for computes that score without per-sample predictions (the runtime tests'
    /// arithmetic stand-in): the score alone.
    public func evaluateWithPredictions(adapter: [Float]) async throws -> EvaluationOutcome {
        EvaluationOutcome(score: try await evaluate(adapter: adapter), predictions: [])
    }
}

/// predictions.jsonl files: one JSON object a line, sorted keys.
public enum PredictionsFile {
    /// `predictions.jsonl` for the final evaluation, `predictions-round-N.jsonl` for the others
    /// (round 0 = the untuned model).
    public static func name(round: Int, final: Bool) -> String {
        final ? "predictions.jsonl" : "predictions-round-\(round).jsonl"
    }

    public static func write(_ predictions: [Prediction], to url: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out = Data()
        for p in predictions {
            out.append(try enc.encode(p))
            out.append(0x0A)
        }
        try AtomicFile.write(out, to: url)
    }

    public static func read(_ url: URL) throws -> [Prediction] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ActorsError.storage("cannot read \(url.path)")
        }
        let dec = JSONDecoder()
        var out: [Prediction] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty
        {
            do { out.append(try dec.decode(Prediction.self, from: Data(line.utf8))) } catch {
                throw ActorsError.storage("\(url.path):\(i + 1): not a prediction line (\(error))")
            }
        }
        return out
    }
}

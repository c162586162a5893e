import Foundation

/// One run folder (or `fedhds eval` folder) as `fedhds compare` reads it: config.toml,
/// result.json, metrics.jsonl (runs only) and predictions.jsonl.
public struct ComparedRun: Sendable {
    public var path: String
    public var config: RunConfig
    public var result: RunResult
    public var metrics: [RoundMetrics]
    /// The final evaluation's predictions (nil: the folder has no predictions.jsonl).
    public var predictions: [Prediction]?

    /// Whether the folder is an `fedhds eval` output (one evaluation, no rounds).
    public var isEvaluationOnly: Bool { result.rounds == 0 && metrics.isEmpty }

    public static func load(_ path: String) throws -> ComparedRun {
        let dir = URL(fileURLWithPath: path, isDirectory: true)
        let fm = FileManager.default
        let resultURL = dir.appendingPathComponent("result.json")
        guard fm.fileExists(atPath: resultURL.path) else {
            throw ActorsError.storage("\(path): no result.json (not a finished run or `fedhds eval` folder)")
        }
        let result: RunResult
        do { result = try RunOutput.jsonDecoder().decode(RunResult.self, from: Data(contentsOf: resultURL)) } catch {
            throw ActorsError.storage("\(resultURL.path): not a result.json (\(error))")
        }
        let config = try RunConfig.load(path: dir.appendingPathComponent("config.toml").path)
        let metricsURL = dir.appendingPathComponent("metrics.jsonl")
        let metrics = fm.fileExists(atPath: metricsURL.path) ? try RunOutput.readMetrics(metricsURL) : []
        let predURL = dir.appendingPathComponent(PredictionsFile.name(round: 0, final: true))
        let predictions = fm.fileExists(atPath: predURL.path) ? try PredictionsFile.read(predURL) : nil
        return ComparedRun(path: path, config: config, result: result, metrics: metrics, predictions: predictions)
    }
}

/// Runs grouped by method and configuration variant (seeds pooled), with the paired bootstrap
/// intervals of Rouge-L differences between groups. `fedhds compare` writes `markdown()` and
/// `html()`.
public struct Comparison: Sendable {
    public struct Group: Sendable {
        public var label: String
        public var method: String
        /// key=value of the configuration that set this group apart from others of its method.
        public var variant: [String]
        public var runs: [ComparedRun]
        /// Rouge-L of each run (final evaluation).
        public var scores: [Double]
        /// Per test sample id: its Rouge-L averaged over the group's runs (nil: a run has no predictions).
        public var perSample: [Int: Double]?
        /// The 95% bootstrap interval of the group's mean Rouge-L over test samples.
        public var interval: PairedBootstrap.Interval?
        public var dataRatio: Double
        public var totalSeconds: Double
        /// Mean seconds per client round of each step (features, fusion, clustering, selection,
        /// training) and the server's inter-client clustering per round.
        public var steps: [(name: String, seconds: Double)]
        public var roundsRun: [Int]
        /// Mean over runs of the Rouge-L after each evaluated round (0 = untuned).
        public var rougeByRound: [Int: Double]

        public var mean: Double { scores.isEmpty ? .nan : scores.reduce(0, +) / Double(scores.count) }
        /// Sample standard deviation over runs (nil for one run).
        public var sd: Double? {
            guard scores.count > 1 else { return nil }
            let m = mean
            return (scores.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(scores.count - 1)).squareRoot()
        }
        public var seeds: [UInt64] { runs.map(\.config.seed) }
    }

    public struct Pair: Sendable {
        public var a: Int
        public var b: Int
        public var samples: Int
        public var interval: PairedBootstrap.Interval
    }

    public var groups: [Group]
    public var pairs: [Pair]
    /// Notes for the reader (e.g. a result whose predictions do not average to its Rouge-L).
    public var notes: [String]
    public var resamples: Int
    public var seed: UInt64

    /// Keys that never split groups: names, seeds and settings that do not change the numbers.
    static func ignoredKey(_ key: String) -> Bool {
        ["name", "seed", "eval.batch_size", "eval.rounds", "eval.before", "eval.test_loss"].contains(key)
            || key.hasPrefix("transport.")
    }

    /// Keys an `fedhds eval` folder is grouped by (training keys mean nothing to it).
    static func evaluationKey(_ key: String) -> Bool {
        [
            "precision", "data.dataset", "data.path", "data.heldout_category", "eval.split", "eval.samples",
            "eval.max_new_tokens", "eval.max_prompt_length"
        ].contains(key) || key.hasPrefix("model.")
    }

    static func groupKey(_ run: ComparedRun) -> [String: String] {
        var k: [String: String] = [:]
        for f in RunConfig.fields where !ignoredKey(f.key) && f.key != "method" {
            if run.isEvaluationOnly, !evaluationKey(f.key) { continue }
            k[f.key] = f.render(run.config)
        }
        if run.isEvaluationOnly, run.result.method == "adapter" { k["adapter"] = run.result.adapterPath }
        return k
    }

    static func methodName(_ run: ComparedRun) -> String {
        run.isEvaluationOnly ? run.result.method : run.config.method.rawValue
    }

    public static func make(
        runs: [ComparedRun], resamples: Int = PairedBootstrap.defaultResamples,
        seed: UInt64 = PairedBootstrap.defaultSeed
    ) throws -> Comparison {
        guard !runs.isEmpty else { throw ActorsError.invalidConfiguration("compare: no run folders given") }
        // Group: same method name and same key.
        var order: [(method: String, key: [String: String])] = []
        var members: [[ComparedRun]] = []
        for r in runs {
            let m = methodName(r), k = groupKey(r)
            if let i = order.firstIndex(where: { $0.method == m && $0.key == k }) {
                members[i].append(r)
            } else {
                order.append((m, k))
                members.append([r])
            }
        }
        var notes: [String] = []
        var groups: [Group] = []
        for (i, (method, key)) in order.enumerated() {
            // The variant: keys whose value differs from another group of the same method (or, for
            // a method alone, nothing).
            let others = order.enumerated().filter { $0.offset != i && $0.element.method == method }.map {
                $0.element.key
            }
            let variant = key.keys.sorted().filter { k in others.contains { $0[k] != key[k] } }.map {
                "\($0)=\(key[$0]!)"
            }
            let rs = members[i]
            let label = method + (variant.isEmpty ? "" : " [" + variant.joined(separator: ", ") + "]")
            groups.append(
                try summarize(
                    label: label, method: method, variant: variant, runs: rs, resamples: resamples,
                    seed: seed, notes: &notes))
        }
        var pairs: [Pair] = []
        for a in groups.indices {
            for b in groups.indices where b > a {
                guard let pa = groups[a].perSample, let pb = groups[b].perSample else { continue }
                guard Set(pa.keys) == Set(pb.keys) else {
                    let onlyA = Set(pa.keys).subtracting(pb.keys).count, onlyB = Set(pb.keys).subtracting(pa.keys).count
                    throw ActorsError.invalidConfiguration(
                        "compare: \"\(groups[a].label)\" (\(groups[a].runs[0].path)) and \"\(groups[b].label)\" (\(groups[b].runs[0].path)) "
                            + "were evaluated on different sample sets (\(pa.count) and \(pb.count) samples; \(onlyA) only in the first, "
                            + "\(onlyB) only in the second): their Rouge-L cannot be paired by sample")
                }
                let ids = pa.keys.sorted()
                let d = ids.map { pa[$0]! - pb[$0]! }
                pairs.append(
                    Pair(
                        a: a, b: b, samples: ids.count,
                        interval: PairedBootstrap.interval(d, resamples: resamples, seed: seed)))
            }
        }
        return Comparison(groups: groups, pairs: pairs, notes: notes, resamples: resamples, seed: seed)
    }

    static func summarize(
        label: String, method: String, variant: [String], runs: [ComparedRun], resamples: Int,
        seed: UInt64, notes: inout [String]
    ) throws -> Group {
        var perSample: [Int: Double]? = [:]
        var idSet: Set<Int>?
        for r in runs {
            guard let p = r.predictions else {
                perSample = nil
                notes.append("\(r.path): no predictions.jsonl, so \"\(label)\" has no per-sample intervals")
                continue
            }
            let ids = Set(p.map(\.id))
            guard ids.count == p.count else {
                throw ActorsError.storage("\(r.path)/predictions.jsonl: a sample id occurs twice")
            }
            if let s = idSet, s != ids {
                throw ActorsError.invalidConfiguration(
                    "compare: the runs of \"\(label)\" were evaluated on different sample sets (\(runs[0].path): \(s.count) samples, "
                        + "\(r.path): \(ids.count), \(s.symmetricDifference(ids).count) not shared); set eval.samples = 0 or compare them apart"
                )
            }
            idSet = ids
            if perSample != nil { for x in p { perSample![x.id, default: 0] += x.rougeL / Double(runs.count) } }
            let mean = p.isEmpty ? 0 : p.reduce(0.0) { $0 + $1.rougeL } / Double(p.count)
            if let reported = r.result.rougeL, abs(mean - reported) > 1e-9 {
                notes.append("\(r.path): predictions.jsonl averages \(mean), result.json reports \(reported)")
            }
        }
        let scores = runs.compactMap(\.result.rougeL)
        var interval: PairedBootstrap.Interval?
        if let ps = perSample, !ps.isEmpty {
            interval = PairedBootstrap.interval(ps.keys.sorted().map { ps[$0]! }, resamples: resamples, seed: seed)
        }
        var sums = [0.0, 0, 0, 0, 0]
        var clientRounds = 0
        var inter = 0.0, roundCount = 0
        var byRound: [Int: [Double]] = [:]
        for r in runs {
            for m in r.metrics {
                roundCount += 1
                inter += m.interClustering
                for t in m.clientTimes.values {
                    clientRounds += 1
                    sums[0] += t.features; sums[1] += t.fusion; sums[2] += t.intraClustering
                    sums[3] += t.selection; sums[4] += t.training
                }
            }
            for (k, v) in r.result.evaluations { if let round = Int(k) { byRound[round, default: []].append(v) } }
        }
        let names = ["features", "fusion", "clustering", "selection", "training"]
        // No rounds (an `fedhds eval` folder): no step times and no data ratio (NaN, shown as "-").
        var steps = zip(names, sums).map { (name: $0, seconds: clientRounds == 0 ? .nan : $1 / Double(clientRounds)) }
        steps.append(
            (
                name: "inter-client clustering (server, per round)",
                seconds: roundCount == 0 ? .nan : inter / Double(roundCount)
            ))
        let n = Double(runs.count)
        let trained = runs.filter { !$0.isEvaluationOnly }
        return Group(
            label: label, method: method, variant: variant, runs: runs, scores: scores, perSample: perSample,
            interval: interval,
            dataRatio: trained.isEmpty ? .nan : trained.map(\.result.dataRatio).reduce(0, +) / Double(trained.count),
            totalSeconds: runs.map(\.result.totalSeconds).reduce(0, +) / n, steps: steps,
            roundsRun: runs.map { $0.metrics.count },
            rougeByRound: byRound.mapValues { $0.reduce(0, +) / Double($0.count) })
    }
}

import Transport

extension Round {
    /// The answers of a phase that count. On the wall clock: every answer that arrived before the
    /// deadline. On the simulated clock: each answering client's work (the tokens its answer
    /// reports, and the encoded sizes of the request it got and the answer it sent) is charged on
    /// the clock, which decides who answered in time, was late, dropped out or was surplus; only
    /// the answers it keeps count. A client without a real answer counts as dropped, with its
    /// host's reason.
    mutating func charge(
        _ phase: SimulatedRound.Phase, _ got: PhaseAnswers, asked: [Int],
        on server: isolated ServerActor, request: ([Int]) -> Message
    ) throws -> [Int: Message] {
        guard var record = simulated, let clock = server.clock else { return got.answers }
        var work: [Int: ClientWork] = [:]
        for c in asked {
            guard let answer = got.answers[c] else { continue }
            var w = Self.tokens(of: answer)
            // A frozen proxy's features are computed once per device and kept.
            if phase == .select, server.plan.featureModel == .proxy, featuresCached.contains(c) { w.featureTokens = 0 }
            w.bytesDown = try MessageCodec.encodedSize(request([c]))
            w.bytesUp = try MessageCodec.encodedSize(answer)
            work[c] = w
        }
        let kept = Set(try clock.run(phase, in: &record, work: work))
        for c in asked where got.answers[c] == nil {
            record.clients[String(c)]?.why = "no answer from its host (\(got.reason(c)))"
        }
        simulated = record
        return got.answers.filter { kept.contains($0.key) }
    }

    /// The model work an answer reports.
    static func tokens(of answer: Message) -> ClientWork {
        switch answer {
        case let .centroids(c): return ClientWork(featureTokens: c.featureTokens)
        case let .features(f): return ClientWork(featureTokens: f.featureTokens)
        case let .update(u): return ClientWork(featureTokens: u.featureTokens, trainTokens: u.trainTokens)
        default: return ClientWork()
        }
    }
}

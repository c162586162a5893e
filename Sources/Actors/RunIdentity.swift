/// What server and workers must agree on: a digest of every configuration key that changes the
/// numbers (method, seed, data, model, training, selection); names, transport and evaluation
/// settings may differ. Workers send it when they register; the server refuses a mismatch.
public enum RunIdentity {
    /// Keys newer than the kept checkpoints (hashed only when not at their default).
    static let addedKeys: Set<String> = ["model.kind"]

    public static func configDigest(_ c: RunConfig) -> String {
        var n = c
        n.name = ""
        n.rounds = 0
        n.evalRounds = []
        n.evalBefore = false
        n.evalSamples = 0
        n.evalBatchSize = 1
        n.maxNewTokens = 1
        n.testLoss = false
        n.transport = .inProcess
        n.featureDeadline = 1
        n.trainDeadline = 1
        n.evalDeadline = 1
        n.minResponses = 1
        n.rejoinGrace = 0
        n.curveKeys = ""
        n.participation = 1
        n.upfrontSampling = true
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        // Keys and values only: a reworded help text or a new key at its default must not stop a
        // long run from resuming (the study's checkpoints live across sessions and builds).
        // Keys added since checkpoints were first kept are left out at their default, so those resume.
        let defaults = RunConfig()
        let values = RunConfig.fields
            .filter { !addedKeys.contains($0.key) || $0.render(n) != $0.render(defaults) }
            .map { "\($0.key)=\($0.render(n))" }.joined(separator: "\n")
        for b in values.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return String(h, radix: 16)
    }
}

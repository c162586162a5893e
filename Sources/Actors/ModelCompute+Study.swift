import Data

/// What the cost projection and the layer-proxy study read from a run's data (`fedhds study`):
/// the same partition, tokenization and held-out prompts a run uses.
extension ModelCompute {
    /// Client `client`'s training sequences, tokenized for the base model as the run does
    /// (prompt + response + EOS, cut to `data.max_length`).
    public func clientSequences(_ client: Int) throws -> [TokenizedSample] {
        try samples(client, proxy: false)
    }

    /// The Dolly category of each of client `client`'s samples, in the order of `clientSequences`.
    public func clientCategories(_ client: Int) throws -> [String] {
        var raw: [Sample]
        do { raw = try federated.clientSamples(client) } catch {
            throw ActorsError.module("client \(client) data: \(error)")
        }
        if config.maxSamplesPerClient > 0 { raw = Array(raw.prefix(config.maxSamplesPerClient)) }
        return raw.map(\.category)
    }

    /// The held-out prompts an evaluation generates from, tokenized and cut as `evaluate` does.
    public var evaluationPrompts: [[Int]] { evalPrompts() }
}

import ArgumentParser

/// The options every `fedhds study` command shares: the model, the Dolly file and the seed.
struct StudySource: ParsableArguments {
    @Option(help: "A GGUF file or a Hugging Face model folder (default: $FEDHDS_MODEL).")
    var model: String?

    @Option(help: "The Dolly jsonl file (default: the repository's copy).")
    var data: String?

    @Option(help: "Seed of the partition, the participants and the t-SNE draws (as a run's `seed`).")
    var seed: UInt64 = 42
}

import Actors
import Testing

extension RunOutcome {
    /// The result of a run the test expects to finish (an issue, and a throw, if it stopped early).
    var finished: RunResult {
        get throws { try #require(result, "the run stopped early: \(self)") }
    }
}

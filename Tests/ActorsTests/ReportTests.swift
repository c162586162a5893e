import Foundation
import Testing
@testable import Actors

@Suite struct ReportTests {
    @Test func reportDrawsLossRougeRatioTimesAndScatter() {
        var ms: [RoundMetrics] = []
        for r in 1...3 {
            var m = RoundMetrics(round: r)
            m.participants = [0, 1]
            m.responders = [0, 1]
            m.trainLoss = 3.0 - Double(r) * 0.5
            m.dataRatio = 0.02
            var t = RoundMetrics.ClientTimes()
            t.features = 2; t.fusion = 1; t.training = 4
            m.clientTimes = ["0": t]
            ms.append(m)
        }
        let scatter = Scatter(round: 1, client: 0, points: [0, 0, 1, 1, 2, 0], labels: [0, 0, -1], chosen: [1])
        let html = Report.html(config: RunConfig(), metrics: ms, evaluations: ["0": 0.1, "3": 0.2], result: nil, scatters: [scatter])
        #expect(html.components(separatedBy: "<polyline").count - 1 == 3)  // train loss, Rouge-L, data ratio
        #expect(html.contains("client 0, round 1: 3 samples, 1 chosen"))
        #expect(html.contains("stroke=\"black\""))  // the chosen sample is ringed
        #expect(html.contains("training"))
        #expect(html.contains(">4 s<"))  // mean training seconds per client round
        #expect(!html.contains("nan"))
    }
}

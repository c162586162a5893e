import Foundation

extension Report {
    /// A run on the simulated clock: Rouge-L and the losses against simulated time (each round
    /// at the simulated moment it ended; the untuned model at 0), and each round's start, end
    /// and who was aggregated, late, dropped or surplus. Empty for a wall-clock run.
    static func simulatedSection(metrics: [RoundMetrics], evaluations: [String: Double]) -> String {
        let rounds = metrics.compactMap { m in m.simulated.map { (metrics: m, record: $0) } }
        guard !rounds.isEmpty else { return "" }
        let end = rounds.map(\.record.end).max() ?? 0
        let (unit, scale) = end >= 3 * 3600 ? ("hours", 3600.0) : end >= 180 ? ("minutes", 60.0) : ("seconds", 1.0)
        var at: [Int: Double] = [0: 0]
        for r in rounds { at[r.metrics.round] = r.record.end / scale }
        var s = "<h2>On the simulated clock</h2>\n<p class=\"note\">The rounds ran on the simulated clock "
        s += "(clock.kind = \"simulated\"): each point sits at the simulated moment its round ended, in \(unit) "
        s += "(the untuned model at 0). Deadlines, stragglers and dropouts happened on this clock, so host load "
        s += "changed only the wall time.</p>\n"
        let rouge = evaluations.compactMap { k, v in Int(k).flatMap { r in at[r].map { (x: $0, y: v) } } }
        s += ReportChart(
            xTitle: "simulated time (\(unit))", yTitle: "Rouge-L F (0 to 1)",
            series: [
                .init(name: "Rouge-L", color: "#2ca02c", points: rouge, style: .points)
            ], integerX: false
        ).svg()
        var loss: [ReportChart.Series] = [
            .init(
                name: "train loss", color: "#1f77b4",
                points: rounds.compactMap { r in r.metrics.trainLoss.map { (r.record.end / scale, $0) } })
        ]
        let test = rounds.compactMap { r in r.metrics.testLoss.map { (x: r.record.end / scale, y: $0) } }
        if !test.isEmpty { loss.append(.init(name: "test loss (held out)", color: "#d62728", points: test)) }
        s += ReportChart(
            xTitle: "simulated time (\(unit))", yTitle: "cross-entropy (nats per token)", series: loss,
            integerX: false
        ).svg()
        s += "<table><tr><th>round</th><th>start (s)</th><th>end (s)</th><th>online</th><th>invited</th>"
        s += "<th>aggregated</th><th>late</th><th>dropped</th><th>surplus</th></tr>"
        for (m, r) in rounds {
            let (start, end) = (String(format: "%.1f", r.start), String(format: "%.1f", r.end))
            s += "<tr><td>\(m.round)</td><td>\(start)</td><td>\(end)</td><td>\(r.online)</td>"
            s += "<td>\(r.invited.count)</td><td>\(r.answered.count)</td><td>\(r.late.count)</td>"
            s += "<td>\(r.dropped.count)</td><td>\(r.surplus.count)</td></tr>"
        }
        return s + "</table>\n"
    }
}

import Foundation
import Model

/// report.html: self-contained (inline SVG, no scripts). A header saying what ran (model, learning
/// rate, precision, seed, provenance), then train/test loss, Rouge-L per evaluated round (points),
/// the data ratio and the bytes by message type per round, the time breakdown per client round and
/// a t-SNE scatter of several clients (clusters coloured, noise marked, chosen samples ringed).
/// scripts/report-screenshot.sh renders it in headless Chromium.
public enum Report {
    static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
        "#bcbd22"
    ]

    public static func html(
        config: RunConfig, metrics: [RoundMetrics], evaluations: [String: Double],
        result: RunResult?, scatters: [Scatter]
    ) -> String {
        var body = "<h1>fedhds run \(escape(config.name))</h1>\n"
        body += "<p class=\"run\">method <b>\(config.method.rawValue)</b>, \(Wording.count(config.clients, "client")), "
        body += "\(config.participantsPerRound) a round (participation \(config.participation)), "
        body += "\(metrics.count) of \(Wording.count(config.rounds, "round"))</p>\n"
        body += provenanceHeader(config: config, provenance: result?.provenance)
        if let p = metrics.compactMap(\.privacy).last {
            body += "<p>centroids released with (epsilon \(p.epsilon), delta \(p.delta))-DP, "
            body += "Gaussian noise sigma \(fmt(p.sigma)) after tanh</p>\n"
        }
        if let r = result {
            body += "<table><tr><th>Rouge-L before</th><th>Rouge-L after</th><th>data ratio</th><th>total s</th>"
            body += "<th>s per client round</th></tr>"
            body += "<tr><td>\(fmt(r.rougeLBefore))</td><td>\(fmt(r.rougeL))</td><td>\(fmt(r.dataRatio))</td>"
            body += "<td>\(fmt(r.totalSeconds))</td><td>\(fmt(r.secondsPerClientRound))</td></tr></table>\n"
        }
        body += lossSection(config: config, metrics: metrics)
        body += rougeSection(evaluations)
        body += simulatedSection(metrics: metrics, evaluations: evaluations)
        body += "<h2>Data ratio per round</h2>\n"
        body += "<p class=\"note\">Samples the participants trained on over the samples they hold.</p>\n"
        body += ReportChart(
            xTitle: "round", yTitle: "selected / local samples",
            series: [
                .init(name: "data ratio", color: "#9467bd", points: metrics.map { (Double($0.round), $0.dataRatio) })
            ]
        ).svg()
        body += bytesSection(metrics)
        body += "<h2>Time breakdown</h2>\n<p class=\"note\">Mean seconds per client round of each step "
        body += "(the server's inter-client clustering: per round).</p>\n" + timeBars(metrics)
        body += scatterSection(scatters)
        body += "<h2>Rounds</h2>\n<table><tr><th>round</th><th>participants</th><th>responders</th><th>dropped</th>"
        body += "<th>train loss</th><th>data ratio</th><th>seconds</th></tr>"
        for m in metrics {
            body +=
                "<tr><td>\(m.round)</td><td>\(m.participants.count)</td><td>\(m.responders.count)</td><td>\(m.dropped.count)</td>"
            body += "<td>\(fmt(m.trainLoss))</td><td>\(fmt(m.dataRatio))</td><td>\(fmt(m.seconds))</td></tr>"
        }
        body += "</table>\n"
        return """
            <!doctype html><html><head><meta charset="utf-8"><title>fedhds \(escape(config.name))</title>
            <style>body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}table{border-collapse:collapse}
            td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}svg{background:#fafafa;margin:4px}
            .note{color:#555;font-size:90%}.warning{color:#a33;font-weight:bold}.panels{display:flex;flex-wrap:wrap}</style>
            </head><body>\(body)</body></html>
            """
    }

    /// Train loss (and test loss) per round, with what a round's train loss is measured on.
    static func lossSection(config: RunConfig, metrics: [RoundMetrics]) -> String {
        var s = "<h2>Loss per round</h2>\n<p class=\"note\">Train loss: the batch-weighted mean over the clients "
        s += "that trained that round, each on its own selected samples (coreset). Every round draws other clients, "
        s += "so the curve mixes clients as well as progress.</p>\n"
        if config.testLoss, !metrics.isEmpty, metrics.allSatisfy({ $0.testLoss == nil }) {
            s += "<p class=\"warning\">Test loss was requested (eval.test_loss = true) but none was computed: no "
            s += "held-out sample keeps response tokens within data.max_length = \(config.maxLength) (run.log).</p>\n"
        }
        var series: [ReportChart.Series] = [
            .init(
                name: "train loss", color: "#1f77b4",
                points: metrics.compactMap { m in m.trainLoss.map { (Double(m.round), $0) } })
        ]
        let test = metrics.compactMap { m in m.testLoss.map { (Double(m.round), $0) } }
        if !test.isEmpty { series.append(.init(name: "test loss (held out)", color: "#d62728", points: test)) }
        return s + ReportChart(xTitle: "round", yTitle: "cross-entropy (nats per token)", series: series).svg()
    }

    /// Rouge-L F of each evaluation as a point (round 0: the untuned model).
    static func rougeSection(_ evaluations: [String: Double]) -> String {
        let points = evaluations.compactMap { k, v in Int(k).map { (x: Double($0), y: v) } }
        var s = "<h2>Rouge-L per evaluated round</h2>\n<p class=\"note\">Rouge-L F of greedy answers on the "
        s += "held-out samples, after the rounds shown (round 0: the untuned model). Points, not a trend: rounds "
        s += "between them were not evaluated.</p>\n"
        return s
            + ReportChart(
                xTitle: "round", yTitle: "Rouge-L F (0 to 1)",
                series: [
                    .init(name: "Rouge-L", color: "#2ca02c", points: points, style: .points)
                ]
            ).svg()
    }

    /// Payload bytes each round by message type and direction, in the unit the largest fits.
    static func bytesSection(_ metrics: [RoundMetrics]) -> String {
        let keys = Set(metrics.flatMap(\.bytes.keys)).sorted()
        let top = Double(metrics.flatMap(\.bytes.values).max() ?? 0)
        let (unit, scale) = top >= 1e6 ? ("MB", 1e6) : top >= 1e3 ? ("kB", 1e3) : ("bytes", 1.0)
        var s = "<h2>Bytes per round by message type</h2>\n<p class=\"note\">Payload bytes the server sent and "
        s += "received each round (\(unit); 1 MB = 10^6 bytes).</p>\n"
        let series = keys.enumerated().map { i, k in
            ReportChart.Series(
                name: k.replacingOccurrences(of: ".", with: " "), color: palette[i % palette.count],
                points: metrics.map { (Double($0.round), Double($0.bytes[k] ?? 0) / scale) })
        }
        return s + ReportChart(xTitle: "round", yTitle: unit, series: series).svg()
    }

    /// Several clients' fused points, one panel each, under one legend.
    static func scatterSection(_ scatters: [Scatter]) -> String {
        var firstPerClient: [Int: Scatter] = [:]
        for s in scatters where firstPerClient[s.client].map({ s.round < $0.round }) ?? true {
            firstPerClient[s.client] = s
        }
        let shown = firstPerClient.values.sorted { ($0.round, $0.client) < ($1.round, $1.client) }.prefix(Scatter.keep)
        guard !shown.isEmpty else { return "" }
        var s = "<h2>Fused features (t-SNE) of \(Wording.count(shown.count, "client"))</h2>\n"
        s += "<p class=\"note\">Each panel is one client in the round it clustered: its samples' fused features in "
        s += "two t-SNE dimensions (no units), coloured by the client's HDBSCAN cluster.</p>\n"
        s += "<svg class=\"legend\" width=\"520\" height=\"26\" xmlns=\"http://www.w3.org/2000/svg\">"
        s += "<circle cx=\"10\" cy=\"13\" r=\"4\" fill=\"\(palette[0])\"/>"
        s += "<circle cx=\"22\" cy=\"13\" r=\"4\" fill=\"\(palette[1])\"/>"
        s += "<text x=\"32\" y=\"17\" font-size=\"12\">a cluster (colour per cluster)</text>"
        s += noiseMark(x: 222, y: 13) + "<text x=\"232\" y=\"17\" font-size=\"12\">noise (no cluster)</text>"
        s += "<circle cx=\"372\" cy=\"13\" r=\"7\" fill=\"none\" stroke=\"black\" stroke-width=\"1.5\"/>"
        s += "<text x=\"384\" y=\"17\" font-size=\"12\">chosen for training</text></svg>\n<div class=\"panels\">"
        for one in shown { s += scatterPlot(one) }
        return s + "</div>\n"
    }

    static func noiseMark(x: Double, y: Double) -> String {
        let (a, b, c, d) = (f1(x - 3), f1(x + 3), f1(y - 3), f1(y + 3))
        return "<path class=\"noise\" d=\"M\(a) \(c)L\(b) \(d)M\(a) \(d)L\(b) \(c)\" stroke=\"#888\" "
            + "stroke-width=\"1.3\"/>"
    }

    public static func write(
        to url: URL, config: RunConfig, metrics: [RoundMetrics], evaluations: [String: Double],
        result: RunResult?, scatters: [Scatter]
    ) throws {
        let text = html(config: config, metrics: metrics, evaluations: evaluations, result: result, scatters: scatters)
        try AtomicFile.write(Data(text.utf8), to: url)
    }

    /// The header lines that say what ran: model (and digest), learning rate, precision that ran,
    /// and, once the run has finished, version, commit, CPU, threads and times.
    static func provenanceHeader(config: RunConfig, provenance p: Provenance?) -> String {
        let model = p?.model ?? config.modelDescription
        let ran = p.flatMap { Precision(rawValue: $0.precision) } ?? config.precision.effective
        var precision = ran.rawValue
        if ran != config.precision {
            precision += " (\(config.precision.rawValue) requested; this CPU has neither AMX-BF16 nor AVX512-BF16)"
        }
        var s = "<p class=\"model\">model <b>\(escape(model))</b>"
        if let d = p?.modelSHA256 { s += " (sha256 \(d.prefix(16))…)" }
        s +=
            ", learning rate \(config.effectiveLearningRate), precision \(escape(precision)), seed \(config.seed)</p>\n"
        if let p {
            s +=
                "<p>fedhds \(escape(p.version)), commit \(escape(p.commit)), kernel path \(escape(p.kernelPath)), proxy \(escape(p.proxy)), "
            s += "CPU \(escape(p.cpuModel)), \(p.threads) threads, started \(p.started)"
            if let e = p.ended { s += ", ended \(e)" }
            if let w = p.wallSeconds { s += ", wall \(fmt(w)) s" }
            if let c = p.cpuSeconds { s += ", CPU time \(fmt(c)) s" }
            s += "</p>\n"
        }
        return s
    }

    static func fmt(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "-" }
        return String(format: "%.4g", x)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func timeBars(_ metrics: [RoundMetrics]) -> String {
        var sums: [(String, Double)] = [
            ("features", 0), ("fusion", 0), ("intra-client clustering", 0), ("selection", 0), ("training", 0)
        ]
        var n = 0
        for m in metrics {
            for t in m.clientTimes.values {
                n += 1
                sums[0].1 += t.features; sums[1].1 += t.fusion; sums[2].1 += t.intraClustering
                sums[3].1 += t.selection; sums[4].1 += t.training
            }
        }
        let inter = metrics.reduce(0) { $0 + $1.interClustering } / Double(max(1, metrics.count))
        let rows =
            sums.map { ($0.0, $0.1 / Double(max(1, n))) } + [("inter-client clustering (server, per round)", inter)]
        let top = max(rows.map(\.1).max() ?? 0, 1e-9)
        var svg = "<svg class=\"bars\" width=\"\(Int(ReportChart.width))\" height=\"\(rows.count * 24 + 10)\" "
        svg += "xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, (name, v)) in rows.enumerated() {
            let y = 5 + 24 * i
            svg += "<text x=\"4\" y=\"\(y + 14)\" font-size=\"11\">\(escape(name))</text>"
            svg +=
                "<rect x=\"260\" y=\"\(y)\" width=\"\(String(format: "%.1f", v / top * 300))\" height=\"18\" fill=\"#ff7f0e\"/>"
            svg +=
                "<text x=\"\(String(format: "%.1f", 266 + v / top * 300))\" y=\"\(y + 14)\" font-size=\"11\">\(fmt(v)) s</text>"
        }
        return svg + "</svg>\n"
    }

    /// One client's panel: clusters coloured, noise as grey crosses, chosen samples ringed.
    static func scatterPlot(_ s: Scatter) -> String {
        let n = s.labels.count
        guard n > 0, s.points.count == 2 * n else { return "" }
        let xs = stride(from: 0, to: 2 * n, by: 2).map { Double(s.points[$0]) }
        let ys = stride(from: 1, to: 2 * n, by: 2).map { Double(s.points[$0]) }
        let side = 300.0
        let (x0, x1, y0, y1) = (xs.min()!, xs.max()!, ys.min()!, ys.max()!)
        func px(_ v: Double) -> Double { 12 + (v - x0) / max(x1 - x0, 1e-9) * (side - 24) }
        func py(_ v: Double) -> Double { 12 + (y1 - v) / max(y1 - y0, 1e-9) * (side - 24) }
        let clusters = Set(s.labels.filter { $0 >= 0 }).count
        let noise = s.labels.filter { $0 < 0 }.count
        var svg = "<svg class=\"scatter\" width=\"\(Int(side))\" height=\"\(Int(side + 34))\" "
        svg += "xmlns=\"http://www.w3.org/2000/svg\"><rect x=\"0.5\" y=\"0.5\" width=\"\(Int(side) - 1)\" "
        svg += "height=\"\(Int(side) - 1)\" fill=\"none\" stroke=\"#ccc\"/>"
        svg += "<text x=\"4\" y=\"\(Int(side) + 14)\" font-size=\"12\" font-weight=\"bold\">"
        svg += "client \(s.client), round \(s.round)</text>"
        svg += "<text x=\"4\" y=\"\(Int(side) + 29)\" font-size=\"11\">\(Wording.count(n, "sample")), "
        svg += "\(Wording.count(clusters, "cluster")), \(noise) noise, \(s.chosen.count) chosen</text>"
        for i in 0..<n {
            let l = s.labels[i]
            if l < 0 { svg += noiseMark(x: px(xs[i]), y: py(ys[i])); continue }
            svg += "<circle class=\"sample\" cx=\"\(f1(px(xs[i])))\" cy=\"\(f1(py(ys[i])))\" r=\"3\" "
            svg += "fill=\"\(palette[l % palette.count])\"/>"
        }
        for i in s.chosen where i >= 0 && i < n {
            svg += "<circle class=\"chosen\" cx=\"\(f1(px(xs[i])))\" cy=\"\(f1(py(ys[i])))\" r=\"7\" fill=\"none\" "
            svg += "stroke=\"black\" stroke-width=\"1.5\"/>"
        }
        return svg + "</svg>"
    }
}

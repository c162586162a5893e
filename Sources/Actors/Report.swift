import Foundation

/// report.html: self-contained, with inline SVG plots of train/test loss and Rouge-L per round,
/// the data ratio per round, a t-SNE scatter of a few clients (chosen samples marked) and the
/// time breakdown per client round.
public enum Report {
    public static func html(config: RunConfig, metrics: [RoundMetrics], evaluations: [String: Double],
                            result: RunResult?, scatters: [Scatter]) -> String {
        var body = "<h1>fedhds run \(escape(config.name))</h1>\n"
        body += "<p>method <b>\(config.method.rawValue)</b>, \(config.clients) clients, participation \(config.participation), "
        body += "\(metrics.count) of \(config.rounds) rounds, seed \(config.seed)</p>\n"
        body += provenanceHeader(config: config, provenance: result?.provenance)
        if let p = metrics.compactMap(\.privacy).last {
            body += "<p>centroids released with (epsilon \(p.epsilon), delta \(p.delta))-DP, Gaussian noise sigma \(fmt(p.sigma)) after tanh</p>\n"
        }
        if let r = result {
            body += "<table><tr><th>Rouge-L before</th><th>Rouge-L after</th><th>data ratio</th><th>total s</th><th>s per client round</th></tr>"
            body += "<tr><td>\(fmt(r.rougeLBefore))</td><td>\(fmt(r.rougeL))</td><td>\(fmt(r.dataRatio))</td>"
            body += "<td>\(fmt(r.totalSeconds))</td><td>\(fmt(r.secondsPerClientRound))</td></tr></table>\n"
        }
        let rounds = metrics.map { Double($0.round) }
        body += "<h2>Loss per round</h2>\n" + lineChart(x: rounds, series: [
            ("train loss", "#1f77b4", metrics.map { $0.trainLoss }),
            ("test loss", "#d62728", metrics.map { $0.testLoss }),
        ])
        let evalRounds = evaluations.keys.compactMap(Int.init).sorted()
        body += "<h2>Rouge-L</h2>\n" + lineChart(x: evalRounds.map(Double.init), series: [
            ("Rouge-L", "#2ca02c", evalRounds.map { evaluations[String($0)] }),
        ])
        body += "<h2>Data ratio per round</h2>\n" + lineChart(x: rounds, series: [
            ("selected / local", "#9467bd", metrics.map { $0.dataRatio }),
        ])
        body += "<h2>Time breakdown (mean seconds per client round)</h2>\n" + timeBars(metrics)
        if !scatters.isEmpty {
            body += "<h2>Fused features (t-SNE) of a few clients; chosen samples ringed</h2>\n<div>"
            for s in scatters.prefix(4) { body += scatterPlot(s) }
            body += "</div>\n"
        }
        body += "<h2>Rounds</h2>\n<table><tr><th>round</th><th>participants</th><th>responders</th><th>dropped</th><th>train loss</th><th>data ratio</th><th>seconds</th></tr>"
        for m in metrics {
            body += "<tr><td>\(m.round)</td><td>\(m.participants.count)</td><td>\(m.responders.count)</td><td>\(m.dropped.count)</td>"
            body += "<td>\(fmt(m.trainLoss))</td><td>\(fmt(m.dataRatio))</td><td>\(fmt(m.seconds))</td></tr>"
        }
        body += "</table>\n"
        return """
        <!doctype html><html><head><meta charset="utf-8"><title>fedhds \(escape(config.name))</title>
        <style>body{font-family:sans-serif;max-width:960px;margin:2em auto}table{border-collapse:collapse}
        td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}svg{background:#fafafa;margin:4px}</style></head>
        <body>\(body)</body></html>
        """
    }

    public static func write(to url: URL, config: RunConfig, metrics: [RoundMetrics], evaluations: [String: Double],
                             result: RunResult?, scatters: [Scatter]) throws {
        let text = html(config: config, metrics: metrics, evaluations: evaluations, result: result, scatters: scatters)
        try AtomicFile.write(Data(text.utf8), to: url)
    }

    /// The header lines that say what ran: model (and digest), learning rate, precision that ran,
    /// and, once the run has finished, version, commit, CPU, threads and times.
    static func provenanceHeader(config: RunConfig, provenance p: Provenance?) -> String {
        let model = config.modelPath.isEmpty ? "tiny random model (built in)" : config.modelPath
        let ran = config.precision.effective
        var precision = ran.rawValue
        if ran != config.precision { precision += " (\(config.precision.rawValue) requested; no AMX-BF16 on this CPU)" }
        var s = "<p>model <b>\(escape(model))</b>"
        if let d = p?.modelSHA256 { s += " (sha256 \(d.prefix(16))…)" }
        s += ", learning rate \(config.effectiveLearningRate), precision \(escape(precision)), seed \(config.seed)</p>\n"
        if let p {
            s += "<p>fedhds \(escape(p.version)), commit \(escape(p.commit)), kernel path \(escape(p.kernelPath)), proxy \(escape(p.proxy)), "
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

    static let w = 640.0, h = 240.0, pad = 40.0

    static func lineChart(x: [Double], series: [(String, String, [Double?])]) -> String {
        let ys = series.flatMap { $0.2.compactMap { $0 } }.filter(\.isFinite)
        guard !x.isEmpty, let y0 = ys.min(), let y1 = ys.max() else { return "<p>(no data)</p>\n" }
        let (x0, x1) = (x.min()!, max(x.max()!, x.min()! + 1))
        let (lo, hi) = y0 == y1 ? (y0 - 0.5, y1 + 0.5) : (y0, y1)
        func px(_ v: Double) -> Double { pad + (v - x0) / (x1 - x0) * (w - 2 * pad) }
        func py(_ v: Double) -> Double { h - pad - (v - lo) / (hi - lo) * (h - 2 * pad) }
        var svg = "<svg width=\"\(Int(w))\" height=\"\(Int(h))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<line x1=\"\(pad)\" y1=\"\(h - pad)\" x2=\"\(w - pad)\" y2=\"\(h - pad)\" stroke=\"#444\"/>"
        svg += "<line x1=\"\(pad)\" y1=\"\(pad)\" x2=\"\(pad)\" y2=\"\(h - pad)\" stroke=\"#444\"/>"
        svg += "<text x=\"2\" y=\"\(pad)\" font-size=\"10\">\(fmt(hi))</text><text x=\"2\" y=\"\(h - pad)\" font-size=\"10\">\(fmt(lo))</text>"
        svg += "<text x=\"\(pad)\" y=\"\(h - pad + 14)\" font-size=\"10\">\(fmt(x0))</text><text x=\"\(w - pad)\" y=\"\(h - pad + 14)\" font-size=\"10\">\(fmt(x1))</text>"
        for (i, (name, color, values)) in series.enumerated() {
            let pts = zip(x, values).compactMap { xv, yv -> String? in
                guard let yv, yv.isFinite else { return nil }
                return String(format: "%.1f,%.1f", px(xv), py(yv))
            }
            guard !pts.isEmpty else { continue }
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(pts.joined(separator: " "))\"/>"
            for p in pts {
                let c = p.split(separator: ",")
                svg += "<circle cx=\"\(c[0])\" cy=\"\(c[1])\" r=\"3\" fill=\"\(color)\"/>"
            }
            svg += "<text x=\"\(w - pad - 120)\" y=\"\(pad + 14 * Double(i))\" font-size=\"11\" fill=\"\(color)\">\(escape(name))</text>"
        }
        return svg + "</svg>\n"
    }

    static func timeBars(_ metrics: [RoundMetrics]) -> String {
        var sums: [(String, Double)] = [("features", 0), ("fusion", 0), ("intra-client clustering", 0), ("selection", 0), ("training", 0)]
        var n = 0
        for m in metrics {
            for t in m.clientTimes.values {
                n += 1
                sums[0].1 += t.features; sums[1].1 += t.fusion; sums[2].1 += t.intraClustering
                sums[3].1 += t.selection; sums[4].1 += t.training
            }
        }
        let inter = metrics.reduce(0) { $0 + $1.interClustering } / Double(max(1, metrics.count))
        let rows = sums.map { ($0.0, $0.1 / Double(max(1, n))) } + [("inter-client clustering (server, per round)", inter)]
        let top = max(rows.map(\.1).max() ?? 0, 1e-9)
        var svg = "<svg width=\"\(Int(w))\" height=\"\(rows.count * 24 + 10)\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, (name, v)) in rows.enumerated() {
            let y = 5 + 24 * i
            svg += "<text x=\"4\" y=\"\(y + 14)\" font-size=\"11\">\(escape(name))</text>"
            svg += "<rect x=\"260\" y=\"\(y)\" width=\"\(String(format: "%.1f", v / top * 300))\" height=\"18\" fill=\"#ff7f0e\"/>"
            svg += "<text x=\"\(String(format: "%.1f", 266 + v / top * 300))\" y=\"\(y + 14)\" font-size=\"11\">\(fmt(v)) s</text>"
        }
        return svg + "</svg>\n"
    }

    static func scatterPlot(_ s: Scatter) -> String {
        let n = s.labels.count
        guard n > 0, s.points.count == 2 * n else { return "" }
        let xs = stride(from: 0, to: 2 * n, by: 2).map { Double(s.points[$0]) }
        let ys = stride(from: 1, to: 2 * n, by: 2).map { Double(s.points[$0]) }
        let side = 300.0
        let (x0, x1, y0, y1) = (xs.min()!, xs.max()!, ys.min()!, ys.max()!)
        func px(_ v: Double) -> Double { 10 + (v - x0) / max(x1 - x0, 1e-9) * (side - 20) }
        func py(_ v: Double) -> Double { side - 10 - (v - y0) / max(y1 - y0, 1e-9) * (side - 20) }
        let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
        var svg = "<svg width=\"\(Int(side))\" height=\"\(Int(side + 16))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<text x=\"4\" y=\"\(side + 12)\" font-size=\"11\">client \(s.client), round \(s.round): \(n) samples, \(s.chosen.count) chosen</text>"
        for i in 0..<n {
            let l = s.labels[i]
            let color = l < 0 ? "#bbbbbb" : palette[l % palette.count]
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" ", px(xs[i]), py(ys[i])) + "fill=\"\(color)\"/>"
        }
        for i in s.chosen where i >= 0 && i < n {
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"none\" stroke=\"black\" stroke-width=\"1.5\"/>", px(xs[i]), py(ys[i]))
        }
        return svg + "</svg>"
    }
}

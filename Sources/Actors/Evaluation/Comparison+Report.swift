import Foundation

extension Comparison {
    static func f4(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "-" }
        return String(format: "%.4f", x)
    }

    static func secs(_ x: Double) -> String {
        guard x.isFinite else { return "-" }
        return x >= 100 ? String(format: "%.0f s", x) : String(format: "%.3g s", x)
    }

    func rouge(_ g: Group) -> String {
        guard !g.scores.isEmpty else { return "-" }
        return Comparison.f4(g.mean) + (g.sd.map { " ± " + Comparison.f4($0) } ?? "")
    }

    func roundsText(_ g: Group) -> String {
        let lo = g.roundsRun.min() ?? 0, hi = g.roundsRun.max() ?? 0
        return lo == hi ? "\(lo)" : "\(lo)-\(hi)"
    }

    func sampleCount(_ g: Group) -> String { g.perSample.map { String($0.count) } ?? "-" }

    func intervalText(_ i: PairedBootstrap.Interval?) -> String {
        guard let i else { return "-" }
        return "[\(Comparison.f4(i.lower)), \(Comparison.f4(i.upper))]"
    }

    var stepNames: [String] { groups.first?.steps.map(\.name) ?? [] }

    /// compare.md: the group table, the pairwise intervals and the runs.
    public func markdown() -> String {
        var s = "# Comparison of \(groups.reduce(0) { $0 + $1.runs.count }) runs in \(groups.count) groups\n\n"
        s += "Rouge-L: mean ± sample sd over the group's runs (seeds) of each run's final Rouge-L F. "
        s +=
            "95% CI: percentile bootstrap of the group's mean over test samples (each sample's Rouge-L averaged over the seeds first), "
        s +=
            "\(resamples) resamples, seed \(seed). Step times: mean seconds per client round (features, fusion, clustering, "
        s += "selection, training) and per round for the server's inter-client clustering.\n\n"
        s += "| group | runs | seeds | samples | Rouge-L mean ± sd | 95% CI | data ratio | rounds | total time | "
        s += stepNames.joined(separator: " | ") + " |\n"
        s += "|" + String(repeating: " --- |", count: 9 + stepNames.count) + "\n"
        for g in groups {
            s +=
                "| \(g.label) | \(g.runs.count) | \(g.seeds.map { String($0) }.joined(separator: ", ")) | \(sampleCount(g)) | \(rouge(g)) | "
            s +=
                "\(intervalText(g.interval)) | \(Comparison.f4(g.dataRatio)) | \(roundsText(g)) | \(Comparison.secs(g.totalSeconds)) | "
            s += g.steps.map { Comparison.secs($0.seconds) }.joined(separator: " | ") + " |\n"
        }
        if !pairs.isEmpty {
            s += "\n## Paired differences (A − B), bootstrap over test samples\n\n"
            s += "Differences of per-sample Rouge-L (averaged over each group's seeds), paired by test sample id; "
            s += "\(resamples) resamples, seed \(seed), percentile interval.\n\n"
            s +=
                "| A | B | samples | mean difference | 95% interval | interval excludes 0 |\n| --- | --- | --- | --- | --- | --- |\n"
            for p in pairs {
                let i = p.interval
                let excludes = i.lower > 0 || i.upper < 0
                s +=
                    "| \(groups[p.a].label) | \(groups[p.b].label) | \(p.samples) | \(Comparison.f4(i.mean)) | \(intervalText(i)) | \(excludes ? "yes" : "no") |\n"
            }
        }
        let rounds = Set(groups.flatMap { $0.rougeByRound.keys }).sorted()
        if !rounds.isEmpty {
            s +=
                "\n## Rouge-L per evaluated round (mean over seeds; 0 = untuned)\n\n| group | "
                + rounds.map(String.init).joined(separator: " | ") + " |\n"
            s += "|" + String(repeating: " --- |", count: rounds.count + 1) + "\n"
            for g in groups {
                s +=
                    "| \(g.label) | " + rounds.map { Comparison.f4(g.rougeByRound[$0]) }.joined(separator: " | ")
                    + " |\n"
            }
        }
        s +=
            "\n## Runs\n\n| folder | group | seed | Rouge-L | samples | rounds | wall time | CPU time | commit | model sha256 | precision | CPU |\n"
        s += "|" + String(repeating: " --- |", count: 12) + "\n"
        for g in groups {
            for r in g.runs {
                let p = r.result.provenance
                s +=
                    "| \(r.path) | \(g.label) | \(r.config.seed) | \(Comparison.f4(r.result.rougeL)) | \(r.predictions.map { String($0.count) } ?? "-") | "
                s +=
                    "\(r.metrics.count) | \(Comparison.secs(r.result.totalSeconds)) | \(p?.cpuSeconds.map(Comparison.secs) ?? "-") | "
                s +=
                    "\(p.map { String($0.commit.prefix(12)) } ?? "-") | \(p?.modelSHA256.map { String($0.prefix(12)) } ?? "-") | "
                s += "\(p?.precision ?? r.config.precision.rawValue) | \(p?.cpuModel ?? "-") |\n"
            }
        }
        if !notes.isEmpty { s += "\n## Notes\n\n" + notes.map { "- \($0)\n" }.joined() }
        return s
    }

    /// compare.html: the same tables and three plots (Rouge-L with intervals, Rouge-L per
    /// evaluated round, time per client round).
    public func html() -> String {
        var body = "<h1>fedhds comparison</h1>\n"
        body += "<h2>Rouge-L by group</h2>\n" + rougePlot()
        body += "<p>Large dot: mean over the group's seeds; bar: 95% bootstrap interval of the mean over test samples; "
        body += "small grey dots: the single seeds.</p>\n"
        body += "<h2>Rouge-L per evaluated round</h2>\n" + roundPlot()
        body += "<h2>Time per client round</h2>\n" + timePlot()
        body += "<h2>Tables</h2>\n" + markdownTables()
        return """
            <!doctype html><html><head><meta charset="utf-8"><title>fedhds comparison</title>
            <style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;margin:1em 0}
            td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:first-child{text-align:left}svg{background:#fafafa;margin:4px}</style></head>
            <body>\(body)</body></html>
            """
    }

    /// The Markdown tables as HTML tables (pipe rows only; headings as h3).
    func markdownTables() -> String {
        var out = ""
        var inTable = false
        var header = true
        for line in markdown().split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("|") {
                if line.hasPrefix("| ---") { continue }
                if !inTable { out += "<table>"; inTable = true; header = true }
                let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                let tag = header ? "th" : "td"
                out +=
                    "<tr>"
                    + cells.map { "<\(tag)>\(Report.escape($0.trimmingCharacters(in: .whitespaces)))</\(tag)>" }
                    .joined() + "</tr>"
                header = false
            } else {
                if inTable { out += "</table>\n"; inTable = false }
                if line.hasPrefix("## ") {
                    out += "<h3>\(Report.escape(String(line.dropFirst(3))))</h3>\n"
                } else if line.hasPrefix("# ") {
                    continue
                } else if line.hasPrefix("- ") {
                    out += "<p>\(Report.escape(String(line.dropFirst(2))))</p>\n"
                } else if !line.isEmpty {
                    out += "<p>\(Report.escape(String(line)))</p>\n"
                }
            }
        }
        if inTable { out += "</table>\n" }
        return out
    }

    static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"
    ]

    /// Horizontal: one row per group, the mean and its 95% interval, the seeds' scores as dots.
    func rougePlot() -> String {
        let values = groups.flatMap { g in g.scores + [g.interval?.lower, g.interval?.upper].compactMap { $0 } }.filter(
            \.isFinite)
        guard let lo0 = values.min(), let hi0 = values.max() else { return "<p>(no Rouge-L)</p>\n" }
        let axis = PlotAxis(lo0, hi0)
        let left = 300.0, width = 420.0, rowH = 26.0, top = 10.0
        let h = top + rowH * Double(groups.count) + 50
        func px(_ v: Double) -> Double { left + axis.fraction(v) * width }
        var svg = "<svg width=\"\(Int(left + width + 30))\" height=\"\(Int(h))\" xmlns=\"http://www.w3.org/2000/svg\">"
        let yAxis = top + rowH * Double(groups.count)
        svg += axis.horizontal(x0: left, width: width, y: yAxis, title: "Rouge-L F")
        for (i, g) in groups.enumerated() {
            let y = top + rowH * (Double(i) + 0.5)
            let color = Comparison.palette[i % Comparison.palette.count]
            svg +=
                "<text x=\"\(left - 8)\" y=\"\(y + 4)\" font-size=\"11\" text-anchor=\"end\">\(Report.escape(g.label))</text>"
            if let iv = g.interval, iv.lower.isFinite {
                svg +=
                    "<line x1=\"\(f1(px(iv.lower)))\" y1=\"\(f1(y))\" x2=\"\(f1(px(iv.upper)))\" y2=\"\(f1(y))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            }
            for s in g.scores where s.isFinite {
                svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"#555\"/>", px(s), y - 6)
            }
            if !g.scores.isEmpty {
                svg += "<circle cx=\"\(f1(px(g.mean)))\" cy=\"\(f1(y))\" r=\"5\" fill=\"\(color)\"/>"
            }
        }
        return svg + "</svg>\n"
    }

    /// Rouge-L (mean over seeds) after each evaluated round, one series per group, points joined.
    func roundPlot() -> String {
        let pts = groups.flatMap { $0.rougeByRound.map { (Double($0.key), $0.value) } }.filter { $0.1.isFinite }
        guard let xl = pts.map(\.0).min(), let xh = pts.map(\.0).max(), let yl = pts.map(\.1).min(),
            let yh = pts.map(\.1).max()
        else {
            return "<p>(no evaluated rounds)</p>\n"
        }
        let ax = PlotAxis(xl, xh, integer: true), ay = PlotAxis(yl, yh)
        let left = 70.0, width = 520.0, top = 10.0, height = 220.0
        func px(_ v: Double) -> Double { left + ax.fraction(v) * width }
        func py(_ v: Double) -> Double { top + height - ay.fraction(v) * height }
        var svg =
            "<svg width=\"\(Int(left + width + 320))\" height=\"\(Int(top + height + 50))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += ax.horizontal(x0: left, width: width, y: top + height, title: "round (0 = untuned model)")
        svg += ay.vertical(x: left, y0: top, height: height, title: "Rouge-L F")
        for (i, g) in groups.enumerated() {
            let color = Comparison.palette[i % Comparison.palette.count]
            let rounds = g.rougeByRound.keys.sorted()
            let coords = rounds.map { String(format: "%.1f,%.1f", px(Double($0)), py(g.rougeByRound[$0]!)) }
            if coords.count > 1 {
                svg +=
                    "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1\" stroke-dasharray=\"3,2\" points=\"\(coords.joined(separator: " "))\"/>"
            }
            for r in rounds {
                svg +=
                    "<circle cx=\"\(f1(px(Double(r))))\" cy=\"\(f1(py(g.rougeByRound[r]!)))\" r=\"4\" fill=\"\(color)\"/>"
            }
            svg +=
                "<rect x=\"\(left + width + 20)\" y=\"\(top + 14 * Double(i))\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            svg +=
                "<text x=\"\(left + width + 34)\" y=\"\(top + 14 * Double(i) + 9)\" font-size=\"11\">\(Report.escape(g.label))</text>"
        }
        return svg + "</svg>\n"
    }

    /// Stacked bars: mean seconds per client round of each step, one bar per group.
    func timePlot() -> String {
        let clientSteps = stepNames.count - 1
        let totals = groups.map { $0.steps.prefix(clientSteps).map(\.seconds).filter(\.isFinite).reduce(0, +) }
        guard let top = totals.max(), top > 0 else { return "<p>(no client-round times: no metrics.jsonl)</p>\n" }
        let axis = PlotAxis(0, top)
        let left = 300.0, width = 420.0, rowH = 24.0, y0 = 30.0
        let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#d62728"]
        var svg =
            "<svg width=\"\(Int(left + width + 40))\" height=\"\(Int(y0 + rowH * Double(groups.count) + 50))\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (j, name) in stepNames.prefix(clientSteps).enumerated() {
            svg +=
                "<rect x=\"\(left + Double(j) * 84)\" y=\"4\" width=\"10\" height=\"10\" fill=\"\(colors[j % colors.count])\"/>"
            svg += "<text x=\"\(left + Double(j) * 84 + 14)\" y=\"13\" font-size=\"11\">\(name)</text>"
        }
        for (i, g) in groups.enumerated() {
            let y = y0 + rowH * Double(i)
            svg +=
                "<text x=\"\(left - 8)\" y=\"\(y + 14)\" font-size=\"11\" text-anchor=\"end\">\(Report.escape(g.label))</text>"
            var x = left
            for (j, step) in g.steps.prefix(clientSteps).enumerated() where step.seconds.isFinite && step.seconds > 0 {
                let w = axis.fraction(step.seconds) * width
                svg +=
                    "<rect x=\"\(f1(x))\" y=\"\(f1(y))\" width=\"\(f1(w))\" height=\"18\" fill=\"\(colors[j % colors.count])\"/>"
                x += w
            }
            svg +=
                "<text x=\"\(f1(x + 4))\" y=\"\(f1(y + 14))\" font-size=\"11\">\(x > left ? Comparison.secs(totals[i]) : "no rounds")</text>"
        }
        svg += axis.horizontal(
            x0: left, width: width, y: y0 + rowH * Double(groups.count),
            title: "seconds per client round (mean over client rounds and seeds)")
        return svg + "</svg>\n"
    }
}

/// A coordinate with one decimal, for SVG.
func f1(_ x: Double) -> String { String(format: "%.1f", x) }

/// A plot axis with "nice" ticks (1, 2 or 5 times a power of ten) and a sensible range for a
/// constant series.
struct PlotAxis {
    var lo: Double
    var hi: Double
    var step: Double

    init(_ a: Double, _ b: Double, integer: Bool = false) {
        var (l, h) = (min(a, b), max(a, b))
        if h - l < 1e-12 {
            let pad = integer ? 1 : max(abs(l) * 0.1, 0.01)
            (l, h) = (l - pad, h + pad)
            if a >= 0, l < 0, !integer { l = 0 }
        }
        let raw = (h - l) / 5
        let mag = pow(10, (log10(raw)).rounded(.down))
        var s = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        if integer { s = max(1, s.rounded(.up)) }
        step = s
        lo = (l / s).rounded(.down) * s
        hi = (h / s).rounded(.up) * s
    }

    func fraction(_ v: Double) -> Double { (v - lo) / (hi - lo) }

    var ticks: [Double] {
        var out: [Double] = []
        var t = lo
        while t <= hi + step * 1e-6 { out.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return out
    }

    /// As many decimals as the step needs (a step of 0.2 or 0.05 shows 0.2 or 0.05, not 0), no "-0".
    func label(_ v: Double) -> String {
        let decimals = min(9, max(0, Int((-log10(step) - 1e-9).rounded(.up))))
        let text = String(format: "%.\(decimals)f", v)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }

    func horizontal(x0: Double, width: Double, y: Double, title: String) -> String {
        var s = "<line x1=\"\(x0)\" y1=\"\(y)\" x2=\"\(x0 + width)\" y2=\"\(y)\" stroke=\"#444\"/>"
        for t in ticks {
            let x = x0 + fraction(t) * width
            s += String(
                format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>", x, y, x, y + 4)
            s += "<text x=\"\(f1(x))\" y=\"\(f1(y + 15))\" font-size=\"10\" text-anchor=\"middle\">\(label(t))</text>"
        }
        s +=
            "<text x=\"\(f1(x0 + width / 2))\" y=\"\(f1(y + 32))\" font-size=\"11\" text-anchor=\"middle\">\(Report.escape(title))</text>"
        return s
    }

    func vertical(x: Double, y0: Double, height: Double, title: String) -> String {
        var s = "<line x1=\"\(x)\" y1=\"\(y0)\" x2=\"\(x)\" y2=\"\(y0 + height)\" stroke=\"#444\"/>"
        for t in ticks {
            let y = y0 + height - fraction(t) * height
            s += String(
                format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>", x - 4, y, x, y)
            s += "<text x=\"\(f1(x - 6))\" y=\"\(f1(y + 3))\" font-size=\"10\" text-anchor=\"end\">\(label(t))</text>"
        }
        let (tx, ty) = (f1(x - 50), f1(y0 + height / 2))
        s +=
            "<text x=\"\(tx)\" y=\"\(ty)\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 \(tx) \(ty))\">\(Report.escape(title))</text>"
        return s
    }
}

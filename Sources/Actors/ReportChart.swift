import Foundation

/// One SVG chart of report.html: axes with titles (and units), tick marks with readable labels,
/// a range that makes sense for a constant series (`PlotAxis`), series drawn as lines with points or as
/// points alone, and a legend.
struct ReportChart {
    enum Style { case line, points }

    struct Series {
        var name: String
        var color: String
        var points: [(x: Double, y: Double)]
        var style: Style = .line
    }

    var xTitle: String
    var yTitle: String
    var series: [Series]
    /// The x axis counts rounds: ticks on whole numbers.
    var integerX = true
    /// Never draw the y axis below zero when every value is non-negative (losses, ratios, bytes).
    var nonNegative = true

    static let width = 680.0, height = 280.0
    static let left = 70.0, right = 170.0, top = 14.0, bottom = 46.0

    /// The SVG, or a short note when no series has a finite point.
    func svg() -> String {
        let pts = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        guard !pts.isEmpty else { return "<p class=\"empty\">(no data yet)</p>\n" }
        let (w, h, l, r, t, b) = (Self.width, Self.height, Self.left, Self.right, Self.top, Self.bottom)
        let xs = PlotAxis(pts.map(\.x).min()!, pts.map(\.x).max()!, integer: integerX)
        var ys = PlotAxis(pts.map(\.y).min()!, pts.map(\.y).max()!)
        if nonNegative, ys.lo < 0, pts.allSatisfy({ $0.y >= 0 }) { ys.lo = 0 }
        func px(_ v: Double) -> Double { l + (v - xs.lo) / (xs.hi - xs.lo) * (w - l - r) }
        func py(_ v: Double) -> Double { h - b - (v - ys.lo) / (ys.hi - ys.lo) * (h - t - b) }
        var s = "<svg class=\"chart\" width=\"\(Int(w))\" height=\"\(Int(h))\" xmlns=\"http://www.w3.org/2000/svg\">"
        for v in ys.ticks {  // grid and y tick labels
            let y = f1(py(v))
            s += "<line x1=\"\(f1(l))\" y1=\"\(y)\" x2=\"\(f1(w - r))\" y2=\"\(y)\" stroke=\"#e4e4e4\"/>"
            s += "<text class=\"tick\" x=\"\(f1(l - 6))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\" "
            s += "font-size=\"11\">\(ys.label(v))</text>"
        }
        for v in xs.ticks {
            let x = f1(px(v))
            s += "<line x1=\"\(x)\" y1=\"\(f1(h - b))\" x2=\"\(x)\" y2=\"\(f1(h - b + 4))\" stroke=\"#444\"/>"
            s += "<text class=\"tick\" x=\"\(x)\" y=\"\(f1(h - b + 16))\" text-anchor=\"middle\" "
            s += "font-size=\"11\">\(xs.label(v))</text>"
        }
        s += "<line x1=\"\(f1(l))\" y1=\"\(f1(h - b))\" x2=\"\(f1(w - r))\" y2=\"\(f1(h - b))\" stroke=\"#444\"/>"
        s += "<line x1=\"\(f1(l))\" y1=\"\(f1(t))\" x2=\"\(f1(l))\" y2=\"\(f1(h - b))\" stroke=\"#444\"/>"
        s += "<text class=\"axis-title\" x=\"\(f1((l + w - r) / 2))\" y=\"\(f1(h - 8))\" text-anchor=\"middle\" "
        s += "font-size=\"12\">\(Report.escape(xTitle))</text>"
        let midY = f1((t + h - b) / 2)
        s += "<text class=\"axis-title\" x=\"14\" y=\"\(midY)\" text-anchor=\"middle\" font-size=\"12\" "
        s += "transform=\"rotate(-90 14 \(midY))\">\(Report.escape(yTitle))</text>"
        for (i, one) in series.enumerated() {
            let p = one.points.filter { $0.x.isFinite && $0.y.isFinite }.sorted { $0.x < $1.x }
            if one.style == .line, p.count > 1 {
                let line = p.map { "\(f1(px($0.x))),\(f1(py($0.y)))" }.joined(separator: " ")
                s += "<polyline class=\"series\" fill=\"none\" stroke=\"\(one.color)\" stroke-width=\"2\" "
                s += "points=\"\(line)\"/>"
            }
            let radius = one.style == .points ? 5 : 3
            for q in p {
                s += "<circle class=\"point\" cx=\"\(f1(px(q.x)))\" cy=\"\(f1(py(q.y)))\" r=\"\(radius)\" "
                s += "fill=\"\(one.color)\">"
                s += "<title>\(Report.escape(one.name)): \(xs.label(q.x)), \(Report.fmt(q.y))</title></circle>"
            }
            let ly = t + 8 + 18 * Double(i)
            s += "<circle cx=\"\(f1(w - r + 14))\" cy=\"\(f1(ly))\" r=\"4\" fill=\"\(one.color)\"/>"
            s += "<text class=\"legend\" x=\"\(f1(w - r + 24))\" y=\"\(f1(ly))\" dominant-baseline=\"middle\" "
            s += "font-size=\"11\">\(Report.escape(one.name))</text>"
        }
        return s + "</svg>\n"
    }

}

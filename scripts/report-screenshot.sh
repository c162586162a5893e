#!/usr/bin/env bash
# Renders a run's report.html in headless Chromium: a PNG screenshot to look at, and (with --check)
# assertions on what the browser laid out, so a report that renders blank, loses its axes or
# piles its tick labels onto each other fails.
#   bash scripts/report-screenshot.sh runs/demo/report.html [runs/demo/report.png]
#   bash scripts/report-screenshot.sh --check runs/demo/report.html [out.png]
# --check prints one JSON line (charts, scatter panels, section titles, problems) and exits 1
# when there is a problem: fewer than four charts, a chart without both axis titles or with fewer
# than three ticks, overlapping tick labels, text outside its chart, no header naming the model,
# learning rate, precision and seed, or a screenshot that is (nearly) blank.
# Installs Debian's chromium when no Chromium is found (apt-get, as root or with sudo).
set -euo pipefail
CHECK=0
if [ "${1:-}" = "--check" ]; then CHECK=1; shift; fi
[ $# -ge 1 ] || { echo "usage: $0 [--check] REPORT.html [OUT.png]" >&2; exit 2; }
REPORT=$(realpath "$1")
[ -f "$REPORT" ] || { echo "$0: no such file: $1" >&2; exit 2; }
OUT=${2:-${REPORT%.html}.png}
HEIGHT=${REPORT_HEIGHT:-4000}

BROWSER=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$BROWSER" ]; then
  echo "report-screenshot: installing chromium (apt-get)" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y -q chromium >/dev/null || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q chromium >/dev/null; }
  BROWSER=$(command -v chromium)
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# Chromium wants a writable profile and home; --no-sandbox because tests may run as root.
FLAGS=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --user-data-dir="$TMP/profile"
       --window-size=1100,"$HEIGHT" --virtual-time-budget=2000)
HOME="$TMP" "$BROWSER" "${FLAGS[@]}" --screenshot="$OUT" "file://$REPORT" >"$TMP/shot.log" 2>&1 || {
  cat "$TMP/shot.log" >&2; exit 1; }
[ -s "$OUT" ] || { echo "report-screenshot: no screenshot written" >&2; cat "$TMP/shot.log" >&2; exit 1; }
echo "screenshot: $OUT" >&2
[ "$CHECK" = 1 ] || exit 0

# The same page with a script that measures the laid-out SVG and writes its findings into the DOM.
cat "$REPORT" > "$TMP/check.html"
cat >> "$TMP/check.html" <<'JS'
<script>
(function () {
  const problems = [];
  const overlap = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const charts = [...document.querySelectorAll('svg.chart')];
  if (charts.length < 4) problems.push('fewer than 4 charts: ' + charts.length);
  charts.forEach((svg, k) => {
    const name = (svg.previousElementSibling && svg.previousElementSibling.textContent || '').slice(0, 40) || 'chart ' + k;
    const box = svg.getBoundingClientRect();
    if (box.width < 200 || box.height < 100) problems.push(name + ': chart too small');
    if (svg.querySelectorAll('text.axis-title').length < 2) problems.push(name + ': missing an axis title');
    const ticks = [...svg.querySelectorAll('text.tick')];
    if (ticks.length < 3) problems.push(name + ': fewer than 3 ticks');
    const boxes = ticks.map(t => t.getBoundingClientRect());
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++)
      if (overlap(boxes[i], boxes[j])) problems.push(name + ': tick labels overlap: ' + ticks[i].textContent + ' / ' + ticks[j].textContent);
    for (const t of svg.querySelectorAll('text')) {
      const b = t.getBoundingClientRect();
      if (b.width === 0 && t.textContent.trim()) problems.push(name + ': invisible text ' + t.textContent);
      if (b.left < box.left - 1 || b.right > box.right + 1 || b.top < box.top - 1 || b.bottom > box.bottom + 1)
        problems.push(name + ': text outside the chart: ' + t.textContent);
    }
    if (svg.querySelectorAll('circle.point, polyline.series').length === 0) problems.push(name + ': no data drawn');
  });
  const header = document.body.innerText;
  for (const word of ['model', 'learning rate', 'precision', 'seed'])
    if (!header.includes(word)) problems.push('header does not name the ' + word);
  const summary = {
    charts: charts.length, scatters: document.querySelectorAll('svg.scatter').length,
    sections: [...document.querySelectorAll('h2')].map(h => h.textContent), problems };
  const pre = document.createElement('pre');
  pre.id = 'fedhds-check';
  pre.textContent = JSON.stringify(summary);
  document.body.appendChild(pre);
})();
</script>
JS
HOME="$TMP" "$BROWSER" "${FLAGS[@]}" --dump-dom "file://$TMP/check.html" > "$TMP/dom.html" 2>"$TMP/dom.log" || {
  cat "$TMP/dom.log" >&2; exit 1; }
python3 - "$TMP/dom.html" "$OUT" <<'PY'
import html, json, re, struct, sys, zlib

dom = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<pre id="fedhds-check">(.*?)</pre>', dom, re.S)
if not m:
    print("report-screenshot: the browser did not run the check (blank or broken page)", file=sys.stderr)
    sys.exit(1)
summary = json.loads(html.unescape(m.group(1)))

def nonwhite_fraction(path):
    """Share of pixels that are not (near) white in an 8-bit RGB/RGBA PNG (stdlib only)."""
    data = open(path, "rb").read()
    pos, idat, width, height, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = {2: 3, 6: 4}[ctype]
    raw, stride = zlib.decompress(idat), width * bpp
    prev, ink, i = bytearray(stride), 0, 0
    for _ in range(height):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        ink += sum(1 for x in range(0, stride, bpp) if min(line[x:x + 3]) < 200)
        prev = line
    return ink / (width * height)

summary["ink"] = round(nonwhite_fraction(sys.argv[2]), 4)
if summary["ink"] < 0.01:
    summary["problems"].append("the screenshot is (nearly) blank")
print(json.dumps(summary))
sys.exit(1 if summary["problems"] else 0)
PY

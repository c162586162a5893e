#!/usr/bin/env python3
"""Markdown tables of the paper's studies from finished runs (result.json, metrics.jsonl,
config.toml of each run folder). Standard library only.

    tables.py methods ROOT        Tables 2, 3, 4, 5 and 6/7 from ROOT/<scenario>/<method>/
    tables.py participation ROOT  Figure 12 from ROOT/k<rate>/
    tables.py privacy ROOT        Figure 11 from ROOT/eps<epsilon>/ (and ROOT/random/, ROOT/eps0/)
    tables.py loss ROOT           Figure 8 (train / test loss per round) from ROOT/<method>/

Every table is printed to standard output; the calling script redirects it into
experiments/results/.
"""
import json
import os
import sys

MAIN = ["fedit", "fedit-sgd", "random", "perplexity", "coreset-cent", "globalselect", "globalselect-turbo",
        "fedhds", "fedhds-turbo"]
ABLATIONS = ["fedhds", "fedhds-turbo", "fedhds-last-layer", "fedhds-no-inter", "fedhds-pca", "fedhds-kpca"]
NAMES = {
    "fedit": "FedIT", "fedit-sgd": "FedIT-SGD", "random": "Random", "perplexity": "Perplexity",
    "coreset-cent": "Coreset-Cent", "globalselect": "GlobalSelect", "globalselect-turbo": "GlobalSelect-Turbo",
    "fedhds": "FedHDS", "fedhds-turbo": "FedHDS-Turbo", "fedhds-last-layer": "FedHDS last-layer",
    "fedhds-no-inter": "FedHDS w/o inter", "fedhds-pca": "FedHDS w/ PCA", "fedhds-kpca": "FedHDS w/ KPCA",
}
SCENARIOS = {"dolly-a0.5": "Dolly-15K, alpha 0.5", "dolly-a5.0": "Dolly-15K, alpha 5.0", "ni": "Natural Instructions"}


def load(run):
    """(result, [metrics per round], {config key: raw value}) of a run folder, or None."""
    try:
        with open(os.path.join(run, "result.json")) as f:
            result = json.load(f)
        with open(os.path.join(run, "metrics.jsonl")) as f:
            metrics = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        return None
    config, section = {}, ""
    try:
        with open(os.path.join(run, "config.toml")) as f:
            for line in f:
                line = line.split("  #")[0].strip()
                if line.startswith("["):
                    section = line.strip("[]")
                elif "=" in line:
                    k, v = (x.strip() for x in line.split("=", 1))
                    config[(section + "." if section else "") + k] = v.strip('"')
    except OSError:
        pass
    return result, metrics, config


def fmt(x, digits=4):
    return "-" if x is None else f"{x:.{digits}f}"


def pct(x):
    return "-" if x is None else f"{100 * x:.2f}%"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def client_rounds(metrics):
    """Per client round: the client's compute times (features ... training)."""
    return [t for m in metrics for t in m.get("clientTimes", {}).values()]


def total_time(t):
    return t["features"] + t["fusion"] + t["intraClustering"] + t["selection"] + t["training"]


def methods(root):
    scenarios = [s for s in SCENARIOS if os.path.isdir(os.path.join(root, s))]
    runs = {(s, m): load(os.path.join(root, s, m)) for s in scenarios for m in NAMES}
    out = []
    # Table 2: Rouge-L (before -> after) and data ratio.
    header = ["method"] + [f"{SCENARIOS[s]}: Rouge-L" for s in scenarios] + [f"{SCENARIOS[s]}: data ratio" for s in scenarios]
    rows = []
    before = {s: next((r[0]["rougeLBefore"] for (s2, _), r in runs.items() if s2 == s and r and r[0].get("rougeLBefore") is not None), None)
              for s in scenarios}
    rows.append(["untuned model"] + [fmt(before[s]) for s in scenarios] + ["-" for _ in scenarios])
    for m in MAIN:
        if not any(runs[(s, m)] for s in scenarios):
            continue
        rows.append([NAMES[m]] + [fmt(runs[(s, m)][0].get("rougeL")) if runs[(s, m)] else "-" for s in scenarios]
                    + [pct(runs[(s, m)][0]["dataRatio"]) if runs[(s, m)] else "-" for s in scenarios])
    out.append("### Table 2: Rouge-L on the held-out tasks and data ratio\n\n" + table(header, rows))

    # Table 3: time per client round and speed-up over FedIT.
    header = ["method"] + [f"{SCENARIOS[s]}: s / client round" for s in scenarios] + [f"{SCENARIOS[s]}: speed-up vs FedIT" for s in scenarios]
    rows = []
    for m in MAIN:
        if not any(runs[(s, m)] for s in scenarios):
            continue
        cells, speed = [], []
        for s in scenarios:
            r, base = runs[(s, m)], runs[(s, "fedit")]
            t = r[0]["secondsPerClientRound"] if r else None
            b = base[0]["secondsPerClientRound"] if base else None
            cells.append(fmt(t, 2))
            speed.append(f"{b / t:.1f}x" if t and b else "-")
        rows.append([NAMES[m]] + cells + speed)
    out.append("### Table 3: compute seconds per client round (features, clustering, selection, training) and speed-up over FedIT\n\n"
               + table(header, rows))

    # Table 4: ablations.
    header = ["method"] + [f"{SCENARIOS[s]}: Rouge-L" for s in scenarios] + [f"{SCENARIOS[s]}: data ratio" for s in scenarios]
    rows = []
    for m in ABLATIONS:
        if not any(runs[(s, m)] for s in scenarios):
            continue
        rows.append([NAMES[m]] + [fmt(runs[(s, m)][0].get("rougeL")) if runs[(s, m)] else "-" for s in scenarios]
                    + [pct(runs[(s, m)][0]["dataRatio"]) if runs[(s, m)] else "-" for s in scenarios])
    out.append("### Table 4: ablations (fusion, feature layers, inter-client step)\n\n" + table(header, rows))

    # Table 5: client-side communication per round, by message type (bytes on the wire, both ways).
    header = ["scenario", "method", "adapter down (roundStart)", "centroids up", "selection down", "adapter up (update)"]
    rows = []
    for s in scenarios:
        for m in ["fedit", "fedhds", "fedhds-turbo", "globalselect"]:
            r = runs[(s, m)]
            if not r:
                continue
            per = {}
            for k in ["roundStart.sent", "centroids.received", "features.received", "selection.sent", "update.received"]:
                vals = [mm.get("bytes", {}).get(k, 0) / max(1, len(mm.get("participants", []))) for mm in r[1]]
                per[k] = mean(vals)
            up = per["centroids.received"] or per["features.received"]
            rows.append([SCENARIOS[s], NAMES[m], f"{per['roundStart.sent']:.0f}", f"{up:.0f}", f"{per['selection.sent']:.0f}",
                         f"{per['update.received']:.0f}"])
    out.append("### Table 5: bytes per participating client per round (mean; GlobalSelect uploads its fused features; in one process the global adapter goes once to the one worker host, so adapter down is per worker, divided by the participants)\n\n"
               + table(header, rows))

    # Tables 6/7: time breakdown of the FedHDS steps.
    header = ["scenario", "method", "features", "fusion (t-SNE)", "intra-client HDBSCAN", "inter-client (server)",
              "coreset choice", "training", "total / client round"]
    rows = []
    for s in scenarios:
        for m in ["fedhds", "fedhds-turbo", "fedit"]:
            r = runs[(s, m)]
            if not r:
                continue
            ts = client_rounds(r[1])
            if not ts:
                continue
            inter = mean([mm.get("interClustering", 0) for mm in r[1]])
            rows.append([SCENARIOS[s], NAMES[m]] + [fmt(mean([t[k] for t in ts]), 3) for k in
                                                    ["features", "fusion", "intraClustering"]]
                        + [fmt(inter, 3)] + [fmt(mean([t[k] for t in ts]), 3) for k in ["selection", "training"]]
                        + [fmt(mean([total_time(t) for t in ts]), 3)])
    out.append("### Tables 6/7: seconds per client round by step (mean over client rounds; server step per round)\n\n"
               + table(header, rows))
    return "\n\n".join(out)


def participation(root):
    rows = []
    dirs = sorted((d for d in os.listdir(root) if d.startswith("k") and os.path.isdir(os.path.join(root, d))), key=lambda d: float(d[1:]))
    for d in dirs:
        r = load(os.path.join(root, d))
        if not r:
            continue
        res, ms, cfg = r
        n = int(cfg.get("data.clients", "0") or 0)
        per = mean([len(m["participants"]) for m in ms])
        rows.append([d[1:], f"{per:.0f} of {n}" if n else f"{per:.0f}", res.get("method", "-"), fmt(res.get("rougeLBefore")),
                     fmt(res.get("rougeL")), pct(res["dataRatio"]), fmt(res["totalSeconds"], 0)])
    return ("### Figure 12: participation rate k\n\n"
            + table(["k", "clients a round", "method", "Rouge-L untuned", "Rouge-L", "data ratio", "wall seconds"], rows))


def privacy(root):
    rows = []
    entries = []
    for d in os.listdir(root):
        r = load(os.path.join(root, d))
        if r:
            entries.append((d, r))

    def key(e):
        d = e[0]
        return (1, 0.0) if not d.startswith("eps") else (0, -float(d[3:]) if float(d[3:]) > 0 else float("-inf"))
    for d, (res, ms, cfg) in sorted(entries, key=key):
        p = res.get("privacy")
        eps = p["epsilon"] if p else None
        sigma = p["sigma"] if p else None
        rows.append([res["method"], fmt(eps, 2) if p else "off", fmt(p["delta"], 6) if p else "-",
                     fmt(sigma * sigma, 4) if p else "0", fmt(res.get("rougeL")), pct(res["dataRatio"])])
    return ("### Figure 11: Gaussian noise on the centroids (variance sigma^2 = (2 sqrt(2 ln(1.25/delta)) / epsilon)^2)\n\n"
            + table(["method", "epsilon", "delta", "noise variance", "Rouge-L", "data ratio"], rows))


def loss(root):
    out = []
    for m in sorted(os.listdir(root)):
        r = load(os.path.join(root, m))
        if not r:
            continue
        rows = [[mm["round"], fmt(mm.get("trainLoss")), fmt(mm.get("testLoss")), pct(mm.get("dataRatio"))] for mm in r[1]]
        out.append(f"#### {NAMES.get(m, m)}\n\n" + table(["round", "train loss", "test loss", "data ratio"], rows))
    return "### Figure 8: train and test loss per round\n\n" + "\n\n".join(out)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("methods", "participation", "privacy", "loss"):
        sys.exit(__doc__)
    print({"methods": methods, "participation": participation, "privacy": privacy, "loss": loss}[sys.argv[1]](sys.argv[2]))

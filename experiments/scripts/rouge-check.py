#!/usr/bin/env python3
"""Recompute a predictions file's mean Rouge-L with the Python package rouge 1.0.1.

    python3 experiments/scripts/rouge-check.py runs/x/predictions.jsonl [--expect MEAN | --result runs/x/result.json]

Each line of predictions.jsonl holds "prediction", "reference" and "rouge_l". The script scores
every line with Rouge().get_scores(hyp, ref)[0]['rouge-l']['f'] (an empty prediction, or any
ValueError of the package, scores 0, as the FedHDS evaluation does), and exits non-zero when
  - a line's recomputed score differs from its "rouge_l" by more than 1e-9, or
  - the recomputed mean differs from the file's own mean, from --expect, or from the "rougeL" of
    --result (default: result.json beside the file, when the file is predictions.jsonl) by more
    than 1e-9.
"""
import argparse
import json
import os
import sys

from rouge import Rouge

TOL = 1e-9


def score(rouge, hyp, ref):
    if not hyp.strip():
        return 0.0
    try:
        return rouge.get_scores(hyp, ref)[0]["rouge-l"]["f"]
    except ValueError:
        return 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("predictions")
    ap.add_argument("--expect", type=float, help="the reported mean Rouge-L")
    ap.add_argument("--result", help="a result.json whose rougeL is the reported mean")
    args = ap.parse_args()
    sys.setrecursionlimit(100000)  # the package's LCS backtracking recurses once per word
    rouge = Rouge()
    lines = [json.loads(l) for l in open(args.predictions, encoding="utf-8") if l.strip()]
    if not lines:
        print(f"{args.predictions}: no predictions", file=sys.stderr)
        return 2
    bad = 0
    total = 0.0
    for i, p in enumerate(lines):
        f = score(rouge, p["prediction"], p["reference"])
        total += f
        if abs(f - p["rouge_l"]) > TOL:
            bad += 1
            if bad <= 10:
                print(f"line {i + 1} (id {p['id']}): rouge 1.0.1 gives {f!r}, the file says {p['rouge_l']!r}", file=sys.stderr)
    mean = total / len(lines)
    own = sum(p["rouge_l"] for p in lines) / len(lines)
    expect = args.expect
    source = "--expect"
    result = args.result
    if expect is None and result is None and os.path.basename(args.predictions) == "predictions.jsonl":
        candidate = os.path.join(os.path.dirname(args.predictions), "result.json")
        result = candidate if os.path.exists(candidate) else None
    if expect is None and result is not None:
        expect = json.load(open(result))["rougeL"]
        source = result
    print(f"{args.predictions}: {len(lines)} predictions, rouge 1.0.1 mean {mean!r}, file mean {own!r}"
          + (f", reported {expect!r} ({source})" if expect is not None else ""))
    ok = bad == 0 and abs(mean - own) <= TOL and (expect is None or abs(mean - expect) <= TOL)
    if bad:
        print(f"{bad} lines disagree beyond {TOL}", file=sys.stderr)
    if not ok:
        print("DISAGREE", file=sys.stderr)
        return 1
    print("agree within 1e-9")
    return 0


if __name__ == "__main__":
    sys.exit(main())

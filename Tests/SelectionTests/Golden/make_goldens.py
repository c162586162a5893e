"""Makes the Selection goldens from the reference stack (scikit-learn, hdbscan 0.8.x).

Run: ~/.cache/fedhds-reference/venv/bin/python make_goldens.py   (writes *.json here)
     add --hdbscan-only to write only hdbscan.json and numpy_argsort.json. These two must be made
     on an x86 CPU with AVX-512 (numpy's argsort orders equal keys differently elsewhere).
"""
import json
import warnings

import numpy as np
import hdbscan
import sklearn
from sklearn.manifold import TSNE, trustworthiness
from sklearn.decomposition import PCA, KernelPCA
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score, silhouette_score, davies_bouldin_score

warnings.filterwarnings("ignore")
rng = np.random.default_rng(20260521)


def blobs(n, centers, spread, dim=2):
    c = rng.normal(0, 10, size=(centers, dim))
    lab = rng.integers(0, centers, size=n)
    return c[lab] + rng.normal(0, 1, size=(n, dim)) * spread


def features(n, dim, groups, scale=3.0):
    """Synthetic 'hidden state'-like features: group means plus anisotropic noise."""
    means = rng.normal(0, scale, size=(groups, dim))
    lab = rng.integers(0, groups, size=n)
    noise = rng.normal(0, 1, size=(n, dim)) * rng.uniform(0.3, 1.5, size=dim)
    return (means[lab] + noise + 5.0).astype(np.float32).astype(np.float64)


def tsne_parts():
    """Joint probabilities (Barnes-Hut, k nearest) and the scaled PCA initialisation of
    scikit-learn's TSNE on the first t-SNE golden input, to check those steps exactly."""
    from sklearn.manifold._t_sne import _joint_probabilities_nn
    from sklearn.neighbors import NearestNeighbors
    X = np.array(json.load(open("tsne.json"))["sets"][0]["input"])
    n = len(X)
    perp = min(30, n - 1)
    k = min(n - 1, int(3.0 * perp + 1))
    D = NearestNeighbors(n_neighbors=k).fit(X).kneighbors_graph(mode="distance")
    D.data **= 2
    P = _joint_probabilities_nn(D, perp, 0).toarray()
    pcs = PCA(n_components=2).fit_transform(X).astype(np.float32)
    init = pcs / np.std(pcs[:, 0]) * 1e-4
    json.dump(dict(sklearn=sklearn.__version__, perplexity=perp, P=P.tolist(), init=init.astype(float).tolist()),
              open("tsne_parts.json", "w"))
    print("tsne parts written")


if "--tsne-parts-only" in __import__("sys").argv:
    tsne_parts()
    raise SystemExit(0)

# ---------------------------------------------------------------- HDBSCAN
hd_sets = []


class _StableArgsortNumpy:
    """numpy with a stable argsort. The library sorts the spanning tree's edges with np.argsort,
    numpy's unstable quicksort, whose order of equal keys depends on the CPU (x86-simd-sort's
    AVX-512 or AVX2 kernels where present, numpy's introsort otherwise). Mutual-reachability
    distances tie often (core distances), and the order of tied edges changes the single-linkage
    tree. So the goldens are made with the library running on a stable argsort (equal weights keep
    the spanning tree's order, our rule); the labels of the unpatched library on this machine are
    stored too (libraryLabels), with whether the sorted weights hold any tie (tiesInSort)."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def argsort(a, *args, **kwargs):
        return np.argsort(a, kind="stable")


def _same_up_to_renumbering(a, b):
    m1, m2 = {}, {}
    for x, y in zip(a, b):
        if (x == -1) != (y == -1) or m1.setdefault(x, y) != y or m2.setdefault(y, x) != x:
            return False
    return True


def _boruvka_edges(X, min_samples):
    """The raw spanning tree of the default path for <= 60 dimensions, built as
    hdbscan_._hdbscan_boruvka_kdtree builds it (KD-tree leaf 40, Boruvka leaf 40 // 3, approximate)."""
    from sklearn.neighbors import KDTree
    from hdbscan._hdbscan_boruvka import KDTreeBoruvkaAlgorithm
    tree = KDTree(X, metric="euclidean", leaf_size=40)
    alg = KDTreeBoruvkaAlgorithm(tree, min_samples, metric="euclidean", leaf_size=40 // 3,
                                 approx_min_span_tree=True, n_jobs=4)
    return np.asarray(alg.spanning_tree())


def add_hd(name, X, mcs, ms=None, allow_single=False):
    """The reference's call: hdbscan.HDBSCAN with default arguments (algorithm 'best', metric
    euclidean, EOM, leaf size 40, approximate spanning tree) but for these three. labels,
    probabilities and centroids are the library's as it runs here (numpy's argsort on this CPU);
    stableLabels / stableProbabilities with the library's edge sort made stable."""
    X = np.asarray(X, dtype=np.float64)
    kw = dict(min_cluster_size=mcs, min_samples=ms, allow_single_cluster=allow_single)
    model = hdbscan.HDBSCAN(gen_min_span_tree=True, **kw).fit(X)
    hdbscan.hdbscan_.np = _StableArgsortNumpy()
    try:
        stable = hdbscan.HDBSCAN(**kw).fit(X)
    finally:
        hdbscan.hdbscan_.np = np
    weights = np.sort(model.minimum_spanning_tree_.to_numpy()[:, 2]) if len(X) > 1 else np.zeros(0)
    ties = bool(len(weights) > 1 and (np.diff(weights) == 0).any())
    same_stable = _same_up_to_renumbering(model.labels_, stable.labels_)
    ncl = int(model.labels_.max()) + 1
    cents = [model.weighted_cluster_centroid(c).tolist() for c in range(ncl)]
    k = max(1, min(len(X) - 1, ms if ms is not None else mcs))
    edges = _boruvka_edges(X, k).tolist() if X.shape[1] <= 60 and len(X) > 1 else None
    hd_sets.append(dict(name=name, minClusterSize=mcs, minSamples=ms, allowSingleCluster=allow_single,
                        points=X.tolist(), labels=model.labels_.tolist(),
                        probabilities=model.probabilities_.tolist(), centroids=cents,
                        stableLabels=stable.labels_.tolist(), stableProbabilities=stable.probabilities_.tolist(),
                        sameAsStable=same_stable, tiesInSort=ties, boruvkaEdges=edges))
    print(f"hdbscan {name}: n={len(X)} clusters={ncl} noise={int((model.labels_ < 0).sum())} "
          f"ties-in-sort={ties} same-as-stable-sort={same_stable}")


add_hd("blobs-300-mcs5", blobs(300, 4, 1.0), 5)
add_hd("blobs-120-mcs2", blobs(120, 6, 0.8), 2)
noise = np.vstack([blobs(150, 3, 0.7), rng.uniform(-30, 30, size=(150, 2))])
add_hd("noise-heavy-300-mcs5", noise, 5)
add_hd("noise-heavy-300-mcs2", noise, 2)
dup = np.vstack([np.repeat(blobs(20, 3, 1.0), 3, axis=0), blobs(40, 2, 1.5)])
add_hd("duplicates-100-mcs2", dup, 2)
add_hd("duplicates-100-mcs5", dup, 5)
add_hd("identical-10-mcs2", np.zeros((10, 2)) + 3.5, 2)
add_hd("identical-12-mcs5", np.ones((12, 2)), 5)
add_hd("n2-mcs2", np.array([[0.0, 0.0], [1.0, 1.0]]), 2)
add_hd("n3-mcs2", np.array([[0.0, 0.0], [1.0, 0.5], [10.0, 10.0]]), 2)
add_hd("n7-mcs2", np.array([[0, 0], [0.2, 0.1], [0.1, 0.3], [5, 5], [5.2, 5.1], [5.1, 4.8], [20, -3]], float), 2)
add_hd("blobs-200-mcs5-ms2", blobs(200, 3, 1.2), 5, ms=2)
add_hd("blobs-150-allow-single", blobs(150, 1, 1.0), 5, allow_single=True)
add_hd("blobs-5000-mcs5", blobs(5000, 8, 1.5), 5)
# Real t-SNE outputs of feature-like vectors (as a FedHDS client computes them).
for n, mcs in [(80, 2), (400, 5)]:
    F = features(n, 64, 5)
    Y = TSNE(perplexity=min(30, n - 1), init="pca", random_state=0).fit_transform(F).astype(np.float64)
    add_hd(f"tsne-output-{n}-mcs{mcs}", Y, mcs)
# Centroids of many clients (the server's inter-client input).
cents = np.vstack([blobs(60, 5, 0.5)])
add_hd("server-centroids-60-mcs2", cents, 2)

# Uniform backgrounds (the case: blobs on uniform noise), from a separate generator.
rng_u = np.random.default_rng(20261207)


def on_uniform(n_blob, centers, spread, n_uniform, half_width):
    c = rng_u.uniform(-half_width * 0.7, half_width * 0.7, size=(centers, 2))
    lab = rng_u.integers(0, centers, size=n_blob)
    pts = c[lab] + rng_u.normal(0, spread, size=(n_blob, 2))
    return np.vstack([pts, rng_u.uniform(-half_width, half_width, size=(n_uniform, 2))])


for mcs in (2, 5):
    add_hd(f"uniform-blobs-115-mcs{mcs}", on_uniform(75, 5, 0.6, 40, 12.0), mcs)
    add_hd(f"uniform-blobs-230-mcs{mcs}", on_uniform(130, 7, 1.0, 100, 20.0), mcs)
    add_hd(f"uniform-only-150-mcs{mcs}", rng_u.uniform(0, 1, size=(150, 2)), mcs)
    add_hd(f"uniform-blobs-600-mcs{mcs}", on_uniform(400, 12, 0.8, 200, 30.0), mcs)
    add_hd(f"uniform-blobs-2000-mcs{mcs}", on_uniform(1400, 20, 1.0, 600, 50.0), mcs)
    # float32-rounded coordinates, as t-SNE hands them over
    add_hd(f"uniform-blobs-f32-300-mcs{mcs}",
           on_uniform(200, 6, 0.5, 100, 15.0).astype(np.float32).astype(np.float64), mcs)
    # an integer grid with jitter on half the points: many exactly equal distances
    g = np.array([[i, j] for i in range(12) for j in range(10)], dtype=np.float64)
    g[::2] += rng_u.uniform(-0.3, 0.3, size=g[::2].shape)
    add_hd(f"grid-jitter-120-mcs{mcs}", g, mcs)
    add_hd(f"uniform-3d-250-mcs{mcs}", np.vstack([on_uniform(150, 4, 0.7, 100, 10.0),
                                                   ]).dot(rng_u.normal(size=(2, 3))), mcs)
# Above 60 dimensions the default path is Prim (prims_kdtree).
add_hd("features-64d-120-mcs5", rng_u.normal(0, 1, size=(120, 64)) + np.repeat(rng_u.normal(0, 3, size=(4, 64)), 30, axis=0), 5)
add_hd("features-64d-60-mcs2", rng_u.normal(0, 1, size=(60, 64)), 2)
# min_samples above 14: the core-distance query's per-row sort leaves insertion sort for introsort.
dup300 = np.vstack([np.repeat(on_uniform(60, 4, 0.8, 40, 12.0), 3, axis=0)])
add_hd("duplicates-uniform-300-mcs5-ms20", dup300, 5, ms=20)
add_hd("grid-jitter-120-mcs5-ms16", g, 5, ms=16)

import sys
import platform
from numpy._core._multiarray_umath import __cpu_features__ as _cpu
if not _cpu.get("AVX512_SKX"):
    print("warning: no AVX-512 here; numpy's argsort orders ties differently from the goldens' rule")
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
json.dump(dict(library=f"hdbscan {hdbscan.__version__ if hasattr(hdbscan, '__version__') else '0.8.x'}",
               numpy=np.__version__, cpu=cpu, avx512=bool(_cpu.get("AVX512_SKX")),
               sets=hd_sets), open("hdbscan.json", "w"))
# numpy's default argsort of float64 keys with many ties (the order HDBSCAN's edge sort inherits).
rng_a = np.random.default_rng(314)
arg_sets = []
for n in list(range(1, 40)) + [63, 64, 65, 100, 127, 128, 129, 200, 255, 256, 257, 300, 511, 512, 513, 777, 1024, 1500, 2600]:
    for kind in range(3):
        if kind == 0:
            a = rng_a.integers(0, max(1, n // 3), size=n).astype(np.float64)
        elif kind == 1:
            a = np.round(rng_a.exponential(1.0, size=n), 1)
        else:
            a = np.sort(rng_a.integers(0, max(1, n // 4), size=n)).astype(np.float64)
            if n > 2 and kind == 2 and n % 2:
                a[n // 2] = a[0] - 1.0  # nearly sorted
        arg_sets.append(dict(keys=a.tolist(), order=np.argsort(a).tolist()))
# scikit-learn's simultaneous_sort (the k-NN query's per-row sort), with ties.
from sklearn.utils._sorting import _py_simultaneous_sort
sim_sets = []
for n in [1, 2, 5, 15, 16, 17, 21, 40, 64, 100, 333]:
    v = rng_a.integers(0, max(1, n // 3), size=n).astype(np.float64)
    ix = np.arange(n, dtype=np.intp)
    vv = v.copy()
    _py_simultaneous_sort(vv, ix, n, use_three_way_partition=False)
    sim_sets.append(dict(keys=v.tolist(), order=ix.tolist()))
json.dump(dict(numpy=np.__version__, cpu=cpu, avx512=bool(_cpu.get("AVX512_SKX")), sets=arg_sets,
               sklearnSimultaneousSort=sim_sets), open("numpy_argsort.json", "w"))

if "--hdbscan-only" in sys.argv:
    sys.exit(0)
# ---------------------------------------------------------------- t-SNE
ts = []
for name, n, dim, groups in [("features-60x50", 60, 50, 3), ("features-200x100", 200, 100, 5),
                             ("features-400x64", 400, 64, 8)]:
    X = features(n, dim, groups)
    entry = dict(name=name, input=np.round(X, 6).tolist())
    X = np.array(entry["input"])
    for method in ["barnes_hut", "exact"]:
        if method == "exact" and n > 200:
            continue
        t = TSNE(perplexity=min(30, n - 1), init="pca", method=method, random_state=0)
        Y = t.fit_transform(X)
        entry[method] = dict(kl=float(t.kl_divergence_), trustworthiness=float(trustworthiness(X, Y, n_neighbors=5)),
                             iterations=int(t.n_iter_))
        print(f"tsne {name} {method}: KL={t.kl_divergence_:.4f} T={entry[method]['trustworthiness']:.4f}")
    ts.append(entry)
json.dump(dict(sklearn=sklearn.__version__, sets=ts), open("tsne.json", "w"))
tsne_parts()

# ---------------------------------------------------------------- PCA, KPCA, k-means, scores
X = features(40, 12, 3)
Xw = features(30, 80, 3)  # more columns than rows: Gram path
out = dict(sklearn=sklearn.__version__)
out["pca"] = []
for nm, A in [("tall-40x12", X), ("wide-30x80", Xw)]:
    p = PCA(n_components=3).fit(A)
    out["pca"].append(dict(name=nm, input=A.tolist(), scores=p.transform(A).tolist(),
                           components=p.components_.tolist(), explainedVariance=p.explained_variance_.tolist()))
out["kpca"] = []
for kern, gamma in [("linear", None), ("rbf", 0.01)]:
    k = KernelPCA(n_components=2, kernel=kern, gamma=gamma).fit(X)
    out["kpca"].append(dict(kernel=kern, gamma=gamma, input=X.tolist(), scores=k.transform(X).tolist()))
B = blobs(90, 3, 0.6)
init = B[[0, 1, 2]]
km = KMeans(n_clusters=3, init=init, n_init=1, max_iter=300).fit(B)
kmpp = KMeans(n_clusters=3, n_init=10, random_state=0).fit(B)
out["kmeans"] = dict(input=B.tolist(), init=init.tolist(), labels=km.labels_.tolist(), inertia=float(km.inertia_),
                     centers=km.cluster_centers_.tolist(), plusPlusInertia=float(kmpp.inertia_),
                     plusPlusLabels=kmpp.labels_.tolist())
S = blobs(70, 4, 1.5)
lab = KMeans(n_clusters=4, n_init=3, random_state=1).fit(S).labels_
lab[:5] = 3  # make it imperfect
out["scores"] = dict(input=S.tolist(), labels=lab.tolist(), calinskiHarabasz=float(calinski_harabasz_score(S, lab)),
                     silhouette=float(silhouette_score(S, lab)), daviesBouldin=float(davies_bouldin_score(S, lab)))
Tx = features(50, 20, 3)
Ty = PCA(n_components=2).fit_transform(Tx)
out["trustworthiness"] = dict(input=Tx.tolist(), embedding=Ty.tolist(), k=5, value=float(trustworthiness(Tx, Ty, n_neighbors=5)))
json.dump(out, open("linalg.json", "w"))
print("done")

"""FlexLoRA golden (Tests/ModelTests/LowRankMeanTests.swift): three clients' LoRA factors of one
[12, 10] projection, their FedAvg weights and LoRA scales; numpy's direct SVD of the weighted mean
update M = sum_i w_i s_i B_i A_i and its best rank-r approximations (Eckart-Young).
Run: ~/.cache/fedhds-reference/venv/bin/python make_golden.py  (writes flexlora.json here)."""
import json
import os

import numpy as np

rng = np.random.default_rng(20261207)
out_f, in_f = 12, 10
ranks = [3, 3, 3]
alpha = 16.0
weights = [5.0, 2.0, 9.0]  # training batches of each client
clients = []
M = np.zeros((out_f, in_f))
for r, w in zip(ranks, weights):
    a = rng.standard_normal((r, in_f)).astype(np.float32)
    b = rng.standard_normal((out_f, r)).astype(np.float32)
    s = alpha / r
    M += (w / sum(weights)) * s * (b.astype(np.float64) @ a.astype(np.float64))
    clients.append({"rank": r, "scale": s, "weight": w, "a": a.ravel().tolist(), "b": b.ravel().tolist()})
U, S, Vt = np.linalg.svd(M)
best = {}
for r in (1, 3, 8):
    best[str(r)] = (U[:, :r] * S[:r] @ Vt[:r]).ravel().tolist()
json.dump({"out": out_f, "in": in_f, "clients": clients, "mean": M.ravel().tolist(),
           "singular_values": S.tolist(), "best_rank": best},
          open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "flexlora.json"), "w"))

#!/usr/bin/env bash
# Transport speed over tcp loopback, ours against pyzmq in the same run: 2 MB messages per second
# (as GB/s), 64 B messages per second, and 64 B request-reply latency. "socket" is the thin libzmq
# wrapper alone (the like-for-like comparison with pyzmq); "endpoint" is the full path the actors
# use (encode, checks, socket thread, decode). Ratios > 1 mean ours is faster (for latency: lower).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FEDHDS_BIN:-.build/release/fedhds}
PY=${FEDHDS_REFERENCE_PYTHON:-$HOME/.cache/fedhds-reference/venv/bin/python}
LARGE=${TRANSPORT_BENCH_LARGE:-2000}
SMALL=${TRANSPORT_BENCH_SMALL:-300000}
RTT=${TRANSPORT_BENCH_RTT:-10000}
ours=$("$BIN" transport-bench --large-count "$LARGE" --small-count "$SMALL" --round-trips "$RTT" 2>/dev/null)
ref=$("$PY" bench/transport.py "$LARGE" "$SMALL" "$RTT")
"$PY" - "$ours" "$ref" <<'PY'
import json, sys
o, r = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"pyzmq {r['pyzmq']} (libzmq {r['libzmq']}); ours on Debian libzmq 4.3.4")
rows = [("2 MB messages, GB/s", "large_GBps", False), ("64 B messages, M msg/s", "small_Mmsgps", False),
        ("64 B round trip, us", "rtt_us", True)]
print(f"{'measure':28s} {'pyzmq':>9s} {'socket':>9s} {'ratio':>6s} {'endpoint':>9s} {'ratio':>6s}")
for name, key, lower_better in rows:
    ref, s, e = r[key], o["socket_" + key], o["endpoint_" + key]
    ratio = (lambda v: ref / v) if lower_better else (lambda v: v / ref)
    print(f"{name:28s} {ref:9.3f} {s:9.3f} {ratio(s):6.2f} {e:9.3f} {ratio(e):6.2f}")
PY

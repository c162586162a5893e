#!/usr/bin/env bash
# Transport speed over tcp loopback, ours against pyzmq in the same run: 2 MB messages per second
# (as GB/s), 64 B messages per second, and 64 B request-reply latency. "socket" is the thin libzmq
# wrapper alone (the like-for-like comparison with pyzmq); "endpoint" is the full path the actors
# use (encode, checks, the sending task's own zmq_send, the receiving socket thread, decode, async
# hand-over to the consuming task). In the endpoint round trip both consuming tasks prefer their
# endpoint's socket thread as task executor (`withTaskExecutorPreference(endpoint.executor)`, as a
# request/reply dispatcher should), so a reply is received, handed over and answered on the thread
# that woke up, one wake-up per message like pyzmq's blocking recv; the last row is the same round
# trip with the consumers on the cooperative pool (one more thread wake-up per message on each
# side). Ours and pyzmq alternate TRANSPORT_BENCH_ROUNDS times and the best of each is compared, so
# load from other processes hits both alike. Ratios > 1 mean ours is better (for latency: lower).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FEDHDS_BIN:-.build/release/fedhds}
PY=${FEDHDS_REFERENCE_PYTHON:-$HOME/.cache/fedhds-reference/venv/bin/python}
# 2,000 large messages (about 2 s a run): with 500, the first touches of growing heaps and the
# scheduling of four busy threads on 2 cores moved single ratios by about 10%.
LARGE=${TRANSPORT_BENCH_LARGE:-2000}
SMALL=${TRANSPORT_BENCH_SMALL:-200000}
RTT=${TRANSPORT_BENCH_RTT:-5000}
ROUNDS=${TRANSPORT_BENCH_ROUNDS:-3}
ours=() ; ref=()
# The binary links OpenBLAS (for the model code), whose idle worker threads spin on sched_yield for
# about 0.1 s after start, taking CPU from the first measurement on 2 cores; the transport uses none.
for _ in $(seq "$ROUNDS"); do
  ours+=("$(OPENBLAS_NUM_THREADS=1 "$BIN" transport-bench --large-count "$LARGE" --small-count "$SMALL" --round-trips "$RTT" 2>/dev/null)")
  ref+=("$("$PY" bench/transport.py "$LARGE" "$SMALL" "$RTT")")
done
"$PY" - "${#ours[@]}" "${ours[@]}" "${ref[@]}" <<'PY'
import json, sys
n = int(sys.argv[1])
ours = [json.loads(a) for a in sys.argv[2:2 + n]]
refs = [json.loads(a) for a in sys.argv[2 + n:]]
def best(runs, key, lower):
    values = [r[key] for r in runs]
    return min(values) if lower else max(values)
print(f"pyzmq {refs[0]['pyzmq']} (libzmq {refs[0]['libzmq']}); ours on Debian libzmq 4.3.4; best of {n} alternating runs")
rows = [("2 MB messages, GB/s", "large_GBps", False), ("64 B messages, M msg/s", "small_Mmsgps", False),
        ("64 B round trip, us", "rtt_us", True)]
print(f"{'measure':28s} {'pyzmq':>9s} {'socket':>9s} {'ratio':>6s} {'endpoint':>9s} {'ratio':>6s}")
for name, key, lower in rows:
    ref = best(refs, key, lower)
    s, e = best(ours, "socket_" + key, lower), best(ours, "endpoint_" + key, lower)
    ratio = (lambda v: ref / v) if lower else (lambda v: v / ref)
    print(f"{name:28s} {ref:9.3f} {s:9.3f} {ratio(s):6.2f} {e:9.3f} {ratio(e):6.2f}")
ref, e = best(refs, "rtt_us", True), best(ours, "endpoint_pool_rtt_us", True)
print(f"{'  same, consumers on pool':28s} {ref:9.3f} {'':9s} {'':6s} {e:9.3f} {ref / e:6.2f}")
PY

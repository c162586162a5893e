#!/usr/bin/env python3
"""Writes a synthetic heterogeneous device trace for the simulated clock (JSON Lines, one client a
line; format in experiments/README.md, "The simulated clock").

It draws exactly the devices of `clock.devices = "synthetic"` with the same seed: each client c
has its own SplitMix64 stream keyed by (seed, round 0, client c, purpose systemModel = 16), as
fedhds's SeededGenerator, and the draws below come in the same order as SystemModel.synthetic.

Distribution of each client's device:
  tier          fast 20 %, mid 50 %, slow 30 % (one uniform draw)
  compute       seconds per 1,000 tokens, feature forward / training / generation:
                fast 0.5 / 5 / 20, mid 1.5 / 15 / 60, slow 4 / 40 / 160,
                all three times one lognormal jitter exp(0.25 z)
  downlink      20 Mbit/s x exp(z), clipped to [0.5, 500]
  uplink        downlink x U(0.1, 0.5)
  latency       0.06 s x exp(0.5 z), clipped to [0.005, 1]
  dropout       fast and mid U(0, 0.1), slow U(0.05, 0.2) per round
  availability  10 % always online; the others one daily window (period 86,400 s) of U(6, 16)
                hours starting at U(0, 24) hours (split in two where it crosses midnight)
z is a standard normal by Box-Muller (cosine branch) from two uniforms; a uniform is the top 53
bits of a draw times 2^-53.

Usage: make-device-trace.py [--clients 200] [--seed 1] [--out experiments/traces/synthetic-200.jsonl]
"""
import argparse
import math

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
SYSTEM_MODEL = 16  # SeededGenerator.Purpose.systemModel


def mix(x):
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


class Stream:
    """SeededGenerator(seed:round:client:purpose:)."""

    def __init__(self, seed, round_, client, purpose):
        h = mix(seed ^ 0x6A09E667F3BCC908)
        h = mix(h ^ (round_ & MASK))
        h = mix(h ^ (((client & MASK) * GOLDEN) & MASK))
        h = mix(h ^ ((purpose * 0xBF58476D1CE4E5B9) & MASK))
        self.state = h

    def next(self):
        self.state = (self.state + GOLDEN) & MASK
        return mix(self.state)

    def unit(self):
        return (self.next() >> 11) * 2.0 ** -53

    def normal(self):
        u1 = 1 - self.unit()
        u2 = self.unit()
        return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


TIERS = [(0.2, 0.5, 5.0, 20.0), (0.5, 1.5, 15.0, 60.0), (0.3, 4.0, 40.0, 160.0)]


def device(seed, client):
    r = Stream(seed, 0, client, SYSTEM_MODEL)
    u = r.unit()
    tier = 0 if u < TIERS[0][0] else (1 if u < TIERS[0][0] + TIERS[1][0] else 2)
    jitter = math.exp(0.25 * r.normal())
    down = min(500.0, max(0.5, 20 * math.exp(r.normal())))
    up = down * (0.1 + 0.4 * r.unit())
    latency = min(1.0, max(0.005, 0.06 * math.exp(0.5 * r.normal())))
    dropout = 0.05 + 0.15 * r.unit() if tier == 2 else 0.1 * r.unit()
    _, feature, train, generate = TIERS[tier]
    d = {"client": client, "feature_s_per_1k": feature * jitter, "train_s_per_1k": train * jitter,
         "generate_s_per_1k": generate * jitter, "down_mbps": down, "up_mbps": up, "latency_s": latency}
    if dropout > 0:
        d["dropout"] = dropout
    if r.unit() >= 0.1:
        day = 86400.0
        length = 6 * 3600 + 10 * 3600 * r.unit()
        offset = day * r.unit()
        if offset + length <= day:
            windows = [[offset, offset + length]]
        else:
            windows = [[0.0, offset + length - day], [offset, day]]
        d["period_s"] = day
        d["online"] = windows
    return d


def render(d):
    def value(v):
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(v)
    return "{" + ", ".join(f'"{k}": {value(v)}' for k, v in d.items()) + "}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="experiments/traces/synthetic-200.jsonl")
    a = ap.parse_args()
    with open(a.out, "w") as f:
        f.write(f"# synthetic heterogeneous devices: {a.clients} clients, seed {a.seed}\n")
        f.write(f"# made by experiments/scripts/make-device-trace.py --clients {a.clients} --seed {a.seed}\n")
        f.write("# = clock.devices \"synthetic\" with the same seed; format and distribution: experiments/README.md\n")
        for c in range(a.clients):
            f.write(render(device(a.seed, c)) + "\n")


if __name__ == "__main__":
    main()

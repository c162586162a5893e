#!/usr/bin/env bash
# Installs the system libraries fedhds links against, if they are missing:
# OpenBLAS (matrix products, LAPACK) and ZeroMQ 4.3 with CURVE (transport), plus pkg-config.
set -euo pipefail
missing=()
for pkg in libopenblas-dev libzmq3-dev pkg-config unzip; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "fedhds: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi
command -v swift >/dev/null || { echo "fedhds: swift 6 is required (not found on PATH)" >&2; exit 1; }

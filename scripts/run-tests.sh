#!/usr/bin/env bash
# `make test`'s test run (after the build): the whole suite, serially.
# Two things about crashes:
# - SWIFT_BACKTRACE=enable=no: a crashing test process exits at once. With Swift's backtracer on, a
#   crash inside libzmq's I/O thread left the backtracer hanging until the CI time limit.
# - libzmq 4.3.4 (Debian's) now and then aborts in its I/O thread with
#   "Assertion failed: !_io_error (src/stream_engine_base.cpp:...)" (an upstream race, seen in about
#   1 of 10 TransportTests runs, before and after our transport changes). When, and only when, a
#   failed run printed that assertion, the suite runs once more and that second run decides.
set -uo pipefail
cd "$(dirname "$0")/.."
export SWIFT_BACKTRACE=enable=no
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
swift test --skip-build --no-parallel "$@" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ] && grep -q 'Assertion failed: !_io_error (src/stream_engine_base.cpp' "$LOG"; then
  echo "run-tests: libzmq 4.3.4 aborted in its I/O thread (known upstream race, see README); running the suite once more" >&2
  swift test --skip-build --no-parallel "$@"
  status=$?
fi
exit "$status"

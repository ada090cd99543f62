#!/usr/bin/env bash
# Typed JSON decode against CPython's `json.loads` on the same body: the wide export of
# `cargo bench -p redcap-tests --bench decode` (BENCH_ROWS rows, 50,000 by default), the
# best of three runs each, and the ratio. Goal: typed decode at least 3x faster.
#
#   scripts/json-loads-ratio.sh
#   BENCH_ROWS=10000 scripts/json-loads-ratio.sh
#
# Builds the benchmark in release mode (target/release is removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_INCREMENTAL=0
body="$(mktemp --suffix=.json)"
trap 'rm -rf "${CARGO_TARGET_DIR:-target}/release" "$body"' EXIT

bench=$(cargo bench -p redcap-tests --bench decode --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message["target"]["name"] == "decode" and message.get("executable"):
        print(message["executable"])')
BENCH_ROWS="${BENCH_ROWS:-50000}" BENCH_WRITE_JSON="$body" "$bench" --bench
echo "body: $(du -h "$body" | cut -f1) ($(python3 -c 'import sys; print(sys.version.split()[0])' ) json.loads)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
python_seconds=$(python3 - "$body" <<'PY'
import json, sys, time
data = open(sys.argv[1], "rb").read()
best = min(
    (lambda start: (json.loads(data), time.perf_counter() - start)[1])(time.perf_counter())
    for _ in range(3)
)
print(best)
PY
)
typed_seconds=$("$bench" --time-json "$body")
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'json.loads %.3f s, typed decode %.3f s, ratio %.2fx\n' "$python_seconds" "$typed_seconds" \
    "$(echo "$python_seconds / $typed_seconds" | bc -l)"

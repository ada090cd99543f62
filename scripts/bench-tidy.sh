#!/usr/bin/env bash
# Times tidy tables on a synthetic project of 50,000 records x 200 fields
# (`scripts/bench_tidy_data.py`; BENCH_ROWS changes the count), release builds, and
# prints wall time, peak memory (GNU time's maximum resident set size) and output size.
# Needs python3 and GNU time.
#
#   scripts/bench-tidy.sh          # the conversion behind `cargo redcap tidy` (redcap-tidy's
#                                  # `tidy_file` example, the library alone) of the flat CSV
#                                  # export on disk, into Parquet, Arrow IPC and CSV
#   scripts/bench-tidy.sh export   # end to end: the records imported into redcap-emulator
#                                  # (a data directory), then `cargo redcap export --tidy DIR
#                                  # --to parquet` against it; the peak is the cargo-redcap
#                                  # process's alone (the server runs apart). Also needs curl.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-file}"
target="${CARGO_TARGET_DIR:-target}"
rows="${BENCH_ROWS:-50000}"
work="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

python3 scripts/bench_tidy_data.py "$work" "$rows"
ls -l "$work/export.csv" | awk '{printf "export: %.0f MB\n", $5 / 1e6}'

# "label seconds kilobytes dir": one line of results.
report() {
    local size
    size="$(du -sm "$4" | cut -f1)"
    echo "$1: $2 s, peak $3 KB ($(($3 / 1024)) MiB), ${size} MB written"
}

case "$mode" in
file)
    cargo build --quiet --release -p redcap-tidy --example tidy_file
    for format in parquet arrow csv; do
        /usr/bin/time -f "%e %M" -o "$work/time" \
            "$target/release/examples/tidy_file" "$work/export.csv" "$work/dictionary.csv" \
            "$work/$format" "$format" 2>/dev/null
        read -r seconds kilobytes <"$work/time"
        report "$format" "$seconds" "$kilobytes" "$work/$format"
    done
    ;;
export)
    cargo build --quiet --release -p redcap-emulator -p cargo-redcap
    "$target/release/redcap-emulator" --project "bench=$work/dictionary.csv" \
        --data-dir "$work/data" >"$work/start.json" &
    server=$!
    for _ in $(seq 1 600); do
        [ -s "$work/start.json" ] && break
        sleep 0.1
    done
    read -r url token < <(python3 -c '
import json, sys
start = json.loads(open(sys.argv[1]).readline())
print(start["url"], start["projects"][0]["token"])' "$work/start.json")
    # The flat export, imported 1,000 records a request as form-encoded CSV.
    python3 - "$work" <<'PY'
import os, sys, urllib.parse
work = sys.argv[1]
with open(os.path.join(work, "export.csv"), encoding="utf-8") as f:
    header, *lines = f.read().splitlines(keepends=True)
os.makedirs(os.path.join(work, "batches"))
for start in range(0, len(lines), 1000):
    text = header + "".join(lines[start:start + 1000])
    with open(os.path.join(work, "batches", f"{start:08d}.body"), "w") as f:
        f.write("data=" + urllib.parse.quote(text, safe=""))
PY
    start="$(date +%s.%N)"
    for body in "$work"/batches/*.body; do
        answer="$(curl -sS --fail-with-body "$url" -d token="$token" -d content=record \
            -d format=csv -d type=flat -d returnContent=count --data-binary "@$body")"
        case "$answer" in
            ''|*[!0-9]*) echo "import of $body failed: $answer" >&2; exit 1 ;;
        esac
    done
    echo "imported $rows records in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    REDCAP_API_URL="$url" REDCAP_API_TOKEN="$token" /usr/bin/time -f "%e %M" -o "$work/time" \
        "$target/release/cargo-redcap" redcap export --tidy "$work/tables" --to parquet \
        2>"$work/export.err" || { cat "$work/export.err" >&2; exit 1; }
    tail -n 2 "$work/export.err"
    read -r seconds kilobytes <"$work/time"
    report "export --tidy --to parquet" "$seconds" "$kilobytes" "$work/tables"
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    ;;
*)
    echo "usage: scripts/bench-tidy.sh [file|export]" >&2
    exit 2
    ;;
esac

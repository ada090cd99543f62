#!/usr/bin/env bash
# Times the conversion behind `cargo redcap tidy` (redcap-tidy's `tidy_file` example, a
# release build of the library alone) on a synthetic flat export of 50,000 records x 200
# fields (BENCH_ROWS changes the count) into Parquet, Arrow IPC and CSV, and prints each
# run's wall time, peak memory and output size. Needs python3 and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
rows="${BENCH_ROWS:-50000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 scripts/bench_tidy_data.py "$work" "$rows"
ls -l "$work/export.csv" | awk '{printf "export: %.0f MB\n", $5 / 1e6}'
cargo build --quiet --release -p redcap-tidy --example tidy_file
for format in parquet arrow csv; do
    /usr/bin/time -f "%e %M" -o "$work/time" \
        "$target/release/examples/tidy_file" "$work/export.csv" "$work/dictionary.csv" \
        "$work/$format" "$format" 2>/dev/null
    read -r seconds kilobytes <"$work/time"
    size="$(du -sm "$work/$format" | cut -f1)"
    echo "$format: ${seconds} s, peak ${kilobytes} KB ($((kilobytes / 1024)) MiB), ${size} MB written"
done

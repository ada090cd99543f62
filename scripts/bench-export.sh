#!/usr/bin/env bash
# Whole-project export of a wide project (50 000 records x about 200 columns by default;
# BENCH_ROWS changes it, BENCH_REPEAT runs each export that many times and keeps the
# fastest) through the emulator, which runs as its own process: the typed bulk export and
# `cargo redcap export` against PyCap's export_records(format_type="df"), all release
# builds on the same emulator. Prints, for each, the wall time, the client's CPU time and
# the server's CPU time (so that a busy machine shows as wall time above CPU time), the
# ratios, and the peak memory of `cargo redcap export`. Needs python3 with venv and pip.
#
# Numbers (2 cores shared with other builds, load 3-5; the emulator serves one request at
# a time; 196 columns; wall / client CPU / server CPU in seconds):
#
#   BENCH_ROWS=50000 scripts/bench-export.sh                      raw CSV body 47 MB
#     one raw CSV request                     4.53 /    0.06 / 3.81
#     typed bulk export (export_all_typed)    5.81 /    0.67 / 4.60   25 batches
#     cargo redcap export                     5.32 /    0.23 / 4.42   peak 34.2 MiB
#     PyCap export_records(format_type="df")  6.03 /    1.59 / 3.66
#     => typed 1.04x, cargo redcap export 1.13x faster than PyCap (wall time)
#   BENCH_ROWS=5000 BENCH_REPEAT=2                                 raw CSV body 5 MB
#     typed 0.81 s, cargo redcap export 0.62 s (peak 18.1 MiB), PyCap 0.91 s:
#     1.12x and 1.48x
#
# Before the one-pass streamed reading, the batch sizing, the rate limiter's burst of 30
# and the emulator's indexed record-ID export, 50,000 records gave typed 18.1 s and
# `cargo redcap export` 11.5 s against PyCap 11.9 s (0.66x, 1.03x), the server's CPU
# 10-11 s against 5.9 s for one request. What is left is the server's own time: the
# requests are served one after another, so the client can only save its own CPU time
# (PyCap's parse) and its waits; two batches served at once would halve the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
venv="$target/pycap-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check PyCap pandas

cargo build --quiet --release -p cargo-redcap
# `-s`: the venv's python is a symlink to the system interpreter; resolving it would
# leave the venv, and PyCap with it, behind.
CARGO_REDCAP="$(realpath "$target/release/cargo-redcap")" PYCAP_PYTHON="$(realpath -s "$venv/bin/python")" \
    cargo bench --quiet -p redcap-tests --bench bulk_export

#!/usr/bin/env bash
# Whole-project export of a wide project (50 000 records x about 200 columns by default;
# BENCH_ROWS changes it, BENCH_REPEAT runs each export that many times and keeps the
# fastest) through the emulator, which runs as its own process: the typed bulk export and
# `cargo redcap export` against PyCap's export_records(format_type="df"), all release
# builds on the same emulator. Prints, for each, the wall time, the client's CPU time and
# the server's CPU time (so that a busy machine shows as wall time above CPU time), the
# ratios, and the peak memory of `cargo redcap export`. Needs python3 with venv and pip.
#
# Numbers (2 cores, load average 1.7, no other builds; the emulator serves the two batches
# in flight at once; 196 columns; wall / client CPU / server CPU in seconds):
#
#   BENCH_ROWS=50000 BENCH_REPEAT=2 scripts/bench-export.sh       raw CSV body 47 MB
#     one raw CSV request                     2.20 /    0.06 / 2.15
#     typed bulk export (export_all_typed)    2.38 /    0.65 / 3.14   25 batches
#     cargo redcap export                     2.09 /    0.20 / 2.89   peak 34.8 MiB
#     PyCap export_records(format_type="df")  3.61 /    1.37 / 2.36
#     => typed 1.52x, cargo redcap export 1.73x faster than PyCap (wall time)
#
# Earlier, with the emulator serving one request at a time (load 3-5): typed 5.81 s,
# `cargo redcap export` 5.32 s, PyCap 6.03 s (1.04x, 1.13x); before the one-pass streamed
# reading, the batch sizing, the rate limiter's burst of 30 and the indexed record-ID
# export: typed 18.1 s, `cargo redcap export` 11.5 s, PyCap 11.9 s. What is left is the
# server's time: the record list (about 0.2 s of CPU) is asked for twice, the first time
# before any batch, and two batches served at once cost about a tenth more CPU than in turn.
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

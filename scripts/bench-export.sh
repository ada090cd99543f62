#!/usr/bin/env bash
# Whole-project export of a wide project (50 000 records x about 200 columns by default;
# BENCH_ROWS changes it, BENCH_REPEAT runs each export that many times and keeps the
# fastest) through the emulator, which runs as its own process: the typed bulk export and
# `cargo redcap export` against PyCap's export_records(format_type="df"), all release
# builds on the same emulator. Prints, for each, the wall time, the client's CPU time and
# the server's CPU time (so that a busy machine shows as wall time above CPU time), the
# ratios, and the peak memory of `cargo redcap export`. Needs python3 with venv and pip.
#
# Numbers (2 cores, no other load; the emulator serves the two batches in flight at once
# from a temporary database its connections map into memory; 196 columns; wall / client
# CPU / server CPU in seconds; the second of two runs, the first within 0.05 s):
#
#   BENCH_ROWS=50000 BENCH_REPEAT=3 scripts/bench-export.sh       raw CSV body 47 MB
#     one raw CSV request                     1.25 /    0.04 / 1.23
#     typed bulk export (export_all_typed)    1.07 /    0.38 / 1.58   25 batches
#     cargo redcap export                     0.93 /    0.16 / 1.49   peak 31.0 MiB
#     PyCap export_records(format_type="df")  2.27 /    1.07 / 1.31
#     => typed 2.12x (2.04x in the first run), cargo redcap export 2.44x faster than PyCap
#
# Earlier, with an in-memory (`memdb`) database and the record list asked for once before
# the batches and once beside them (load average 1.7): typed 2.38 s, `cargo redcap export`
# 2.09 s, PyCap 3.61 s (1.52x, 1.73x); with the emulator serving one request at a time
# (load 3-5): typed 5.81 s, `cargo redcap export` 5.32 s, PyCap 6.03 s; before the one-pass
# streamed reading, the batch sizing, the rate limiter's burst of 30 and the indexed
# record-ID export: typed 18.1 s, `cargo redcap export` 11.5 s, PyCap 11.9 s. What is left
# is CPU on the two cores the client shares with the server: the record list (about 0.15 s
# of the server's CPU) is asked for twice, and the typed export's decoding (mostly building
# the rows' strings) competes with the server. PyCap's time varies from run to run (2.3 to
# 2.5 s on an idle machine with this emulator).
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

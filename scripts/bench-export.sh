#!/usr/bin/env bash
# Whole-project export of a wide project (50 000 records x about 200 columns by default;
# BENCH_ROWS changes it, BENCH_REPEAT runs each export that many times and keeps the
# fastest) through the emulator, which runs as its own process: the typed bulk export and
# `cargo redcap export` against PyCap's export_records(format_type="df"), all release
# builds on the same emulator. Prints, for each, the wall time, the client's CPU time and
# the server's CPU time (so that a busy machine shows as wall time above CPU time), the
# ratios, and the peak memory of `cargo redcap export`. Needs python3 with venv and pip.
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

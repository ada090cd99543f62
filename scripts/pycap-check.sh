#!/usr/bin/env bash
# An outside check of redcap-emulator: PyCap (from PyPI) against the
# emulator serving corpus projects. Needs python3 with venv and pip.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
venv="$target/pycap-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check PyCap

cargo build --quiet -p redcap-emulator
fixtures=redcap-schema/tests/fixtures
out="$(mktemp)"
# doctest comes first: report ids follow load order, so its report is 1.
"$target/debug/redcap-emulator" \
    --project doctest="$fixtures/PyCap/tests/data/doctest_project.xml" \
    --project simple="$fixtures/REDCapR/inst/test-data/projects/simple/project.xml" \
    --project long="$fixtures/PyCap/tests/data/test_long_project.xml" \
    --project repeating="$fixtures/REDCapR/inst/test-data/projects/vignette-repeating/project.xml" \
    >"$out" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$out"' EXIT

# The emulator prints one JSON line once it listens.
for _ in $(seq 1 100); do
    [ -s "$out" ] && break
    if ! kill -0 "$server" 2>/dev/null; then
        echo "redcap-emulator exited before it started" >&2
        exit 1
    fi
    sleep 0.1
done
[ -s "$out" ] || { echo "redcap-emulator did not start" >&2; exit 1; }

"$venv/bin/python" scripts/pycap_check.py "$(head -n 1 "$out")"

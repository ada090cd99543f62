#!/usr/bin/env bash
# The tidy tables, read back by the tools analysts use: pyarrow and DuckDB (from PyPI,
# in their own venv) check every table `cargo redcap export --tidy` and
# `cargo redcap tidy` write against the flat export of the same records. Needs python3
# with venv and pip.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
venv="$target/tidy-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "pyarrow>=14" "duckdb>=1.1" "jsonschema>=4.18"

cargo build --quiet -p redcap-emulator -p cargo-redcap
redcap="$target/debug/cargo-redcap"
fixtures=redcap-schema/tests/fixtures
redcapr="$fixtures/REDCapR/inst/test-data/projects"
declare -A sources=(
    [long]=cargo-redcap/sample/project.xml
    [longitudinal]="$redcapr/longitudinal/project.xml"
    [repeating]="$redcapr/vignette-repeating/project.xml"
    [repeating_event]="$fixtures/PyCap/tests/data/doctest_project.xml"
    [simple]="$redcapr/simple/project.xml"
    [multilevel]="$redcapr/multilevel-model-1/project.xml"
)
work="$(mktemp -d)"
out="$work/emulator.out"
"$target/debug/redcap-emulator" \
    --project long="${sources[long]}" \
    --project longitudinal="${sources[longitudinal]}" \
    --project repeating="${sources[repeating]}" \
    --project repeating_event="${sources[repeating_event]}" \
    --project simple="${sources[simple]}" \
    --project multilevel="${sources[multilevel]}" \
    >"$out" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

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

url="$("$venv/bin/python" -c 'import json,sys; print(json.loads(sys.argv[1])["url"])' "$(head -n 1 "$out")")"
cases="$work/cases.json"
echo "[" >"$cases"
separator=""
for project in long longitudinal repeating repeating_event simple multilevel; do
    token="$("$venv/bin/python" -c 'import json,sys; print({p["name"]: p["token"] for p in json.loads(sys.argv[1])["projects"]}[sys.argv[2]])' "$(head -n 1 "$out")" "$project")"
    dir="$work/$project"
    mkdir -p "$dir"
    REDCAP_API_URL="$url" REDCAP_API_TOKEN="$token" "$redcap" redcap export --dags --out "$dir/flat.csv" 2>/dev/null
    REDCAP_API_URL="$url" REDCAP_API_TOKEN="$token" "$redcap" redcap export --dags --format json --out "$dir/flat.json" 2>/dev/null
    "$redcap" redcap schema "${sources[$project]}" --to json-schema >"$dir/records.schema.json" 2>/dev/null
    # The JSON export on disk, through `cargo redcap tidy`: the same tables as the CSV ones.
    "$redcap" redcap tidy "$dir/flat.json" --schema "${sources[$project]}" --out "$dir/from-json" \
        --to csv 2>/dev/null
    for format in parquet arrow csv; do
        # Small batches, so that tables arrive in several pieces.
        REDCAP_API_URL="$url" REDCAP_API_TOKEN="$token" \
            "$redcap" redcap export --dags --batch-size 2 --tidy "$dir/$format" --to "$format" 2>/dev/null
    done
    printf '%s{"name": "%s", "flat": "%s", "dirs": {"parquet": "%s/parquet", "arrow": "%s/arrow", "csv": "%s/csv"}, "json": "%s/flat.json", "json_schema": "%s/records.schema.json", "csv_from_json": "%s/from-json"}\n' \
        "$separator" "$project" "$dir/flat.csv" "$dir" "$dir" "$dir" "$dir" "$dir" "$dir" >>"$cases"
    separator=","
done

# Missing-data codes: a flat export on disk, through `cargo redcap tidy`.
missing=tests/fixtures/missing-codes
for format in parquet arrow csv; do
    "$redcap" redcap tidy "$missing/data.csv" --schema "$missing/schema.json" \
        --out "$work/missing/$format" --to "$format" 2>/dev/null
done
"$redcap" redcap schema "$missing/schema.json" --to json-schema >"$work/missing/records.schema.json"
printf ',{"name": "missing_codes", "flat": "%s", "dirs": {"parquet": "%s", "arrow": "%s", "csv": "%s"}, "json_schema": "%s"}\n]\n' \
    "$missing/data.csv" "$work/missing/parquet" "$work/missing/arrow" "$work/missing/csv" "$work/missing/records.schema.json" >>"$cases"

"$venv/bin/python" scripts/tidy_check.py "$cases"

#!/usr/bin/env bash
# Times `cargo redcap schema`, `diff` and `gen` on synthetic data dictionaries of 2,000,
# 20,000 and 100,000 fields, and the peak memory of `gen`.
#
#   scripts/scale-bench.sh            # the three sizes
#   scripts/scale-bench.sh 5000 50000 # other sizes
#   BIN=/path/to/cargo-redcap scripts/scale-bench.sh   # another build, e.g. an older one
#
# Builds cargo-redcap in release mode first, unless BIN is given. Peak memory needs GNU time (`/usr/bin/time`);
# without it only times are printed.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
if [ ${#sizes[@]} -eq 0 ]; then
    sizes=(2000 20000 100000)
fi

bin="${BIN:-}"
if [ -z "$bin" ]; then
    cargo build --release --quiet -p cargo-redcap
    bin="${CARGO_TARGET_DIR:-target}/release/cargo-redcap"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A classic project of `fields` fields in instruments of 100: per ten fields a radio, a
# checkbox, a date, an integer, a number, a calc, a yes/no and three texts.
# `changed=1` writes the same project after a few edits: one field removed, one added,
# one relabelled, one choice added and one validation changed.
dictionary() {
    awk -v fields="$1" -v changed="$2" 'BEGIN {
        print "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,\"Choices, Calculations, OR Slider Labels\",Field Note,Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation"
        print "record_id,form_1,,text,Record ID,,,,,,,,,,,,,"
        for (i = 1; i < fields; i++) {
            form = "form_" (int(i / 100) + 1)
            name = "f" i
            label = "Field " i
            kind = i % 10
            type = "text"; choices = ""; validation = ""
            if (kind == 0) { type = "radio"; choices = "1, One | 2, Two | 3, Three" }
            else if (kind == 1) { type = "checkbox"; choices = "1, A | 2, B | 3, C | 4, D" }
            else if (kind == 2) { validation = "date_ymd" }
            else if (kind == 3) { validation = "integer" }
            else if (kind == 4) { validation = "number" }
            else if (kind == 5) { type = "calc"; choices = "[f" (i - 2) "] * 2" }
            else if (kind == 6) { type = "yesno" }
            if (changed) {
                if (i == 17) continue
                if (i == 33) label = "Field 33, reworded"
                if (i == 40) choices = choices " | 4, Four"
                if (i == 52) validation = "integer"
            }
            printf "%s,%s,,%s,\"%s\",\"%s\",,%s,,,,,,,,,,\n", name, form, type, label, choices, validation
            if (changed && i == 55) print "f55_extra," form ",,text,Added,,,,,,,,,,,,,"
        }
    }'
}

fail() {
    echo "$1 failed:" >&2
    cat "$work/stderr" >&2
    exit 1
}

# Prints `label: seconds` (and peak memory when GNU time is there) for a command.
measure() {
    local label="$1"
    shift
    if [ -x /usr/bin/time ]; then
        if ! /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr"; then
            fail "$label"
        fi
        read -r seconds kib <"$work/time"
        printf '  %-8s %7.2f s  %7.1f MiB peak\n' "$label" "$seconds" "$(echo "$kib / 1024" | bc -l)"
    else
        local start end
        start=$(date +%s.%N)
        "$@" >/dev/null 2>"$work/stderr" || fail "$label"
        end=$(date +%s.%N)
        printf '  %-8s %7.2f s\n' "$label" "$(echo "$end - $start" | bc -l)"
    fi
}

for fields in "${sizes[@]}"; do
    dictionary "$fields" 0 >"$work/old.csv"
    dictionary "$fields" 1 >"$work/new.csv"
    echo "$fields fields:"
    measure schema "$bin" redcap schema "$work/old.csv"
    measure diff "$bin" redcap diff "$work/old.csv" "$work/new.csv" --allow-breaking --color never
    measure gen "$bin" redcap gen "$work/new.csv" --out "$work/records.rs"
    rm -f "$work/records.rs"
done

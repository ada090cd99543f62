#!/usr/bin/env bash
# Record import and export throughput of the emulator (release build) on a generated
# classic project: 50,000 records x 151 fields (record_id and 150 fields in 5 instruments;
# every tenth field a checkbox of 3 codes, so 186 exported columns with the form statuses).
# The data are the same on every run (a fixed formula, no randomness).
#
# Imports the records in CSV batches of BENCH_BATCH records, then exports the whole project
# as JSON and as CSV, the record-ID column alone, a `records=` subset of 100 records, and
# the records in two halves (CSV), one after the other and then both at once.
# For each step it prints wall seconds, rows/s, MB/s, the server's CPU seconds and its peak
# resident memory during that step (VmHWM, reset before each step to the current size, so it
# includes what the allocator kept from earlier steps).
#
#   scripts/bench-emulator.sh                      # 50,000 records, data in a directory
#   BENCH_ROWS=5000 scripts/bench-emulator.sh      # fewer records
#   BENCH_STORE=memory scripts/bench-emulator.sh   # no --data-dir: a temporary database,
#                                                  # mapped into memory (counts in the RSS)
#   BIN=/path/to/redcap-emulator scripts/bench-emulator.sh   # another build
#
# Needs curl and python3 (only to generate the data). Linux only (reads /proc).
#
# Measured on a shared 2-core machine, 50,000 records in one import request, data
# directory (BENCH_BATCH=50000 scripts/bench-emulator.sh). The server's CPU seconds compare;
# wall times depend on the other work on the machine. "original" is the first emulator
# measured (load average 7 to 14). "row-id table" is the emulator with compact import rows,
# prepared write statements and numbered row values, storing values in a row-id table with
# one index on (project, record, field) (load average 1.8 to 2.6); "clustered" stores them
# in a WITHOUT ROWID table keyed by (project, record, field, seq), measured right after it
# (load average 1.8 to 3.7, other builds on the machine):
#
#   step                     original: CPU s  peak MiB   row-id table: CPU s  peak MiB   clustered: CPU s  peak MiB
#   import (one request)           138.5       4617                21.8        277                20.9       275
#   export json (all)               19.3       5561                 4.04       391                 3.26      392
#   export csv (all)                20.4       6612                 3.76       231                 3.00      231
#   export csv (record_id)          12.0       3210                 0.61        83                 0.51       83
#   export json (100 records)          -          -                 0.01        83                 0.01       83
#
# Then with exports on read-only connections (the data directory in write-ahead-log mode)
# and a value's instance read only when it
# repeats (load average 1.5, no other builds): import 23.5 s CPU / 276 MiB, export json
# 2.88 s / 328 MiB, csv 2.87 s / 168 MiB, record_id 0.46 s / 20 MiB (a reader's small page
# cache, not the writer's 64 MiB, holds what an export reads); the records' two halves
# exported in turn 2.65 s wall (2.60 s CPU), at once 1.42 s wall (2.74 s CPU). From run to
# run the import's CPU time varies by about a tenth (21.8 s in the run before). The
# record-ID export of a few fields has since been read in one pass over the records (the
# code for it existed, but exports never took that path): 0.24 to 0.16 s of CPU for the
# record-ID column of scripts/bench-export.sh's project.
#
# Without a data directory (BENCH_STORE=memory, batches of 1,000, idle machine), first with
# the in-memory `memdb` database, then with the temporary file its connections map into
# memory (64 KiB pages; a classic project's values read without event and instance), CPU s
# / peak MiB: import 15.61 / 661 and 13.78 / 443, export json 1.93 / 966 and 1.75 / 1089,
# csv 1.68 / 804 and 1.62 / 927, record_id 0.25 / 656 and 0.18 / 796; the halves at once
# 1.02 and 0.81 s wall. The peak now counts the file's mapped pages that a step read.
#
# A data directory made since then has 64 KiB pages and is mapped into memory too (batches
# of 1,000, idle machine; before / after, CPU s and peak MiB): import 18.15 / 103 and
# 14.51 / 444, export json 2.02 / 328 and 1.77 / 684, csv 1.84 / 167 and 1.57 / 524,
# record_id 0.20 / 44 and 0.17 / 401; the halves at once 1.01 and 0.86 s wall.
#
# With the default batches of 1,000 records (load average 3.6 to 4.8) the import takes
# 26.3 s of CPU with the row-id table and 25.0 s clustered (peak 106 and 102 MiB); the
# exports as above (json 3.91 and 3.23 s, csv 3.75 and 2.95 s).
#
# An import's peak follows its request: in one request of 50,000 records it is the request
# body and its rows held compactly (about 1.2 times the CSV); in batches of BENCH_BATCH
# records it is a batch's. An export's peak is mostly its body (JSON 163 MB, CSV 78 MB),
# built whole before it is sent.
set -euo pipefail
cd "$(dirname "$0")/.."

rows="${BENCH_ROWS:-50000}"
batch="${BENCH_BATCH:-1000}"
store="${BENCH_STORE:-dir}"
bin="${BIN:-}"
if [ -z "$bin" ]; then
    cargo build --release --quiet -p redcap-emulator --bin redcap-emulator
    bin="${CARGO_TARGET_DIR:-target}/release/redcap-emulator"
fi
work="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

python3 - "$work" "$rows" "$batch" <<'PY'
import csv, os, sys, urllib.parse
work, rows, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
kinds = ["text", "integer", "number", "date", "radio", "yesno", "notes", "dropdown", "text", "checkbox"]
fields = []
with open(os.path.join(work, "dictionary.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
                "Choices, Calculations, OR Slider Labels", "Field Note",
                "Text Validation Type OR Show Slider Number", "Text Validation Min",
                "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
                "Required Field?", "Custom Alignment", "Question Number (surveys only)",
                "Matrix Group Name", "Matrix Ranking?", "Field Annotation"])
    w.writerow(["record_id", "form_1", "", "text", "Record ID"] + [""] * 13)
    for i in range(150):
        kind = kinds[i % 10]
        name, form = f"f{i + 1}", f"form_{i // 30 + 1}"
        ftype, choices, validation = kind, "", ""
        if kind in ("integer", "number"):
            ftype, validation = "text", kind
        elif kind == "date":
            ftype, validation = "text", "date_ymd"
        elif kind in ("radio", "dropdown", "checkbox"):
            choices = "1, One | 2, Two | 3, Three"
        w.writerow([name, form, "", ftype, f"Field {i + 1}", choices, "", validation] + [""] * 10)
        fields.append((name, kind))

def value(record, i, kind):
    n = record * 7919 + i * 104729
    if kind == "text":
        return f"text {n % 100000}"
    if kind == "notes":
        return f"a longer note about record {record}, item {i}"
    if kind == "integer":
        return str(n % 1000)
    if kind == "number":
        return f"{n % 1000}.{n % 7}"
    if kind == "date":
        return f"20{10 + n % 15:02d}-{1 + n % 12:02d}-{1 + n % 28:02d}"
    if kind in ("radio", "dropdown"):
        return str(1 + n % 3)
    if kind == "yesno":
        return str(n % 2)

header = ["record_id"]
for name, kind in fields:
    header += [f"{name}___{c}" for c in (1, 2, 3)] if kind == "checkbox" else [name]
os.makedirs(os.path.join(work, "batches"))
for start in range(1, rows + 1, batch):
    with open(os.path.join(work, "batches", f"{start:08d}.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for record in range(start, min(start + batch, rows + 1)):
            line = [str(record)]
            for i, (name, kind) in enumerate(fields):
                if kind == "checkbox":
                    line += ["1" if (record + i + c) % 3 == 0 else "0" for c in (1, 2, 3)]
                else:
                    line.append(value(record, i, kind))
            w.writerow(line)
    # The form-encoded `data` parameter, ready to send.
    with open(os.path.join(work, "batches", f"{start:08d}.csv"), encoding="utf-8") as f:
        text = f.read()
    with open(os.path.join(work, "batches", f"{start:08d}.body"), "w") as f:
        f.write("data=" + urllib.parse.quote(text, safe=""))
PY

args=(--project "bench=$work/dictionary.csv")
if [ "$store" = "dir" ]; then
    args+=(--data-dir "$work/data")
fi
start_server() {
    rm -f "$work/start.json"
    "$bin" "${args[@]}" > "$work/start.json" &
    server=$!
    for _ in $(seq 1 600); do
        if [ -s "$work/start.json" ]; then break; fi
        sleep 0.1
    done
    read -r url token < <(python3 -c '
import json, sys
start = json.load(open(sys.argv[1]))
projects = start["projects"]
token = projects["bench"] if isinstance(projects, dict) else projects[0]["token"]
print(start["url"], token if isinstance(token, str) else token["token"])' "$work/start.json")
}
start_server

# The server's CPU seconds so far (user + system): less sensitive than wall time to other
# work on the machine.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$server/stat"; }
peak_reset() {
    echo 5 > "/proc/$server/clear_refs"
    cpu_start="$(cpu)"
}
peak_mib() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$server/status"; }
line() { # step seconds rows bytes
    awk -v s="$1" -v t="$2" -v r="$3" -v b="$4" -v m="$(peak_mib)" -v c="$(cpu)" -v c0="$cpu_start" 'BEGIN {
        printf "%-28s %8.2f s %9.0f rows/s %7.1f MB/s  server cpu %7.2f s  peak %6d MiB\n",
            s, t, r / t, b / 1e6 / t, c - c0, m }'
}
now() { date +%s.%N; }

echo "redcap-emulator: $bin ($store store), $rows records in batches of $batch"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
peak_reset
start="$(now)"
bytes=0
for file in "$work"/batches/*.csv; do
    answer="$(curl -sS --fail-with-body "$url" -d token="$token" -d content=record -d format=csv \
        -d type=flat -d returnContent=count --data-binary "@${file%.csv}.body")"
    case "$answer" in
        ''|*[!0-9]*) echo "import of $file failed: $answer" >&2; exit 1 ;;
    esac
    bytes=$((bytes + $(stat -c %s "$file")))
done
line "import csv (batches)" "$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')" "$rows" "$bytes"
if [ "$store" = "dir" ]; then
    # A fresh server on the same data, so that the exports' peaks are their own.
    kill "$server"
    wait "$server" 2>/dev/null || true
    start_server
fi

export_step() { # label, extra curl arguments...
    local label="$1"
    shift
    peak_reset
    local out
    out="$(curl -sS --fail-with-body -o "$work/export" -w '%{time_total} %{size_download}' "$url" \
        -d token="$token" -d content=record "$@")"
    local records
    records="$(python3 -c '
import csv, json, sys
path, kind = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
print(len(json.loads(text)) if kind == "json" else len(list(csv.reader(text.splitlines()))) - 1)' \
        "$work/export" "$(case "$*" in *format=json*) echo json ;; *) echo csv ;; esac)")"
    line "$label" "${out% *}" "$records" "${out#* }"
}
export_step "export json (all)" -d format=json
export_step "export csv (all)" -d format=csv
export_step "export csv (record_id only)" -d format=csv -d fields=record_id
export_step "export json (100 records)" -d format=json \
    -d "records=$(seq -s, 1 $((rows / 100 > 0 ? rows / 100 : 1)) "$rows")"

# The records in two halves, exported one after the other and then both at once: the
# emulator serves exports side by side, so at once takes about half the wall time on two
# cores (a bulk export keeps two batches in flight).
half=$((rows / 2))
seq -s, 1 "$half" > "$work/first-half"
seq -s, $((half + 1)) "$rows" > "$work/second-half"
export_half() { # file
    curl -sS --fail-with-body -o /dev/null -w '%{size_download}\n' "$url" -d token="$token" \
        -d content=record -d format=csv --data-urlencode "records@$1"
}
two_halves() { # label, "turn" or "once"
    peak_reset
    local start sizes
    start="$(now)"
    if [ "$2" = once ]; then
        export_half "$work/first-half" > "$work/size-1" &
        local first=$!
        export_half "$work/second-half" > "$work/size-2"
        wait "$first"
    else
        export_half "$work/first-half" > "$work/size-1"
        export_half "$work/second-half" > "$work/size-2"
    fi
    sizes=$(($(cat "$work/size-1") + $(cat "$work/size-2")))
    line "$1" "$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')" "$rows" "$sizes"
}
two_halves "export csv (halves in turn)" turn
two_halves "export csv (halves at once)" once
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Compile time of a generated record crate against the same types written with serde
# derive: the largest public data dictionary of the corpus (flight-tracker's
# metadata.vanderbilt.json, 459 fields), `cargo redcap gen --crate`, and
# scripts/serde_equivalent.py's rewrite of the same module. Each crate is built once to
# compile its dependencies, then timed alone (its source touched), in debug and release.
#
#   scripts/compile-bench.sh                 # both profiles
#   scripts/compile-bench.sh debug           # one profile
#   FIXTURE=path/to/dictionary scripts/compile-bench.sh
#
# Everything is built under target/compile-bench; its release folder is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

fixture="${FIXTURE:-redcap-schema/tests/fixtures/flight-tracker/metadata.vanderbilt.json}"
profiles=("$@")
if [ ${#profiles[@]} -eq 0 ]; then
    profiles=(debug release)
fi
work="$root/target/compile-bench"
export CARGO_INCREMENTAL=0

rm -rf "$work/generated" "$work/serde"
mkdir -p "$work"
# The dictionary's design warnings are not this script's business; errors are.
cargo run -q -p cargo-redcap -- redcap gen "$fixture" --crate "$work/generated" \
    --name compile-bench-generated --client-path "$root/redcap-client" \
    >/dev/null 2>"$work/gen.log" || { cat "$work/gen.log" >&2; exit 1; }
# The two crates build in a target folder of their own, apart from the workspace's.
export CARGO_TARGET_DIR="$work/target"
trap 'rm -rf "$CARGO_TARGET_DIR/release"' EXIT
mkdir -p "$work/serde/src"
python3 scripts/serde_equivalent.py "$work/generated/src/lib.rs" >"$work/serde/src/lib.rs"
cat >"$work/serde/Cargo.toml" <<'TOML'
[package]
name = "compile-bench-serde"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
serde = { version = "1", features = ["derive"] }

[workspace]
TOML
# The workspace's lock file: the same dependency versions, nothing fetched.
cp Cargo.lock "$work/generated/Cargo.lock"
cp Cargo.lock "$work/serde/Cargo.lock"

fields=$(grep -c '^    [A-Z]' <(sed -n '/^pub enum Field {/,/^}/p' "$work/generated/src/lib.rs"))
echo "fixture: $fixture ($fields fields and form statuses)"
echo "generated module: $(wc -l <"$work/generated/src/lib.rs") lines; serde equivalent: $(wc -l <"$work/serde/src/lib.rs") lines"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# Seconds to build the crate at $1 alone in profile $2, its dependencies already built.
time_crate() {
    local dir="$1" profile="$2" flag=()
    [ "$profile" = release ] && flag=(--release)
    cargo build --offline -q "${flag[@]}" --manifest-path "$dir/Cargo.toml"
    touch "$dir/src/lib.rs"
    local start end
    start=$(date +%s.%N)
    cargo build --offline -q "${flag[@]}" --manifest-path "$dir/Cargo.toml"
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

for profile in "${profiles[@]}"; do
    generated=$(time_crate "$work/generated" "$profile")
    serde=$(time_crate "$work/serde" "$profile")
    ratio=$(echo "scale=3; $generated / $serde" | bc)
    printf '%-8s generated %6.2f s   serde derive %6.2f s   ratio %s\n' \
        "$profile" "$generated" "$serde" "$ratio"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

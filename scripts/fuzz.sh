#!/usr/bin/env bash
# Coverage-guided fuzzing (docs/fuzzing.md): builds every cargo-fuzz target
# in fuzz/ once, on the stable toolchain (`-s none`: no sanitizer, which
# would need nightly), then runs each in turn for SECONDS on its committed
# seeds (fuzz/seeds/<target>), one fuzzing process at a time. What a run
# finds goes to git-ignored directories: new inputs to fuzz/corpus/<target>,
# crashes to fuzz/artifacts/<target>. Prints each target's executions, and
# fails on a crash, naming the input that reproduces it.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib/prerequisites.sh
ensure_cargo_fuzz

seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2
  exit 2
fi

# Clippy on the targets as they are built, warnings denied: clippy-driver
# wraps rustc for the fuzz crate only (as `cargo clippy` does), and
# `-D warnings` reaches every crate whose lints cargo does not cap (the fuzz
# crate, minigram, minigram-server). One build serves the lints and the
# runs; a separate `cargo clippy` would compile everything again with other
# flags. Exported, so `cargo fuzz run` below finds the build up to date.
RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export RUSTC_WORKSPACE_WRAPPER
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-D warnings"

echo "==> cargo fuzz build -s none (clippy and warnings denied)"
cargo fuzz build -s none

logs=fuzz/target/fuzz-logs
mkdir -p "$logs"
# What the multipart_upload target's app stored in earlier runs (each run
# keeps its store and media until it exits, and cannot remove them then).
rm -rf fuzz/target/multipart_upload-data
for target in $(cargo fuzz list); do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  corpora=("$corpus")
  if [ -d "fuzz/seeds/$target" ]; then
    corpora+=("fuzz/seeds/$target")
  fi
  options=(-max_total_time="$seconds" -timeout=10 -print_final_stats=1)
  if [ -f "fuzz/dicts/$target.dict" ]; then
    options+=(-dict="fuzz/dicts/$target.dict")
  fi
  echo "==> cargo fuzz run -s none $target ($seconds s)"
  log="$logs/$target.log"
  if ! cargo fuzz run -s none "$target" "${corpora[@]}" -- "${options[@]}" \
    >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    echo "error: fuzz target $target failed; the input is ${artifact:-not saved} (log: $log)" >&2
    echo "       reproduce: cargo fuzz run -s none $target ${artifact:-<input>}" >&2
    exit 1
  fi
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  entries=$(find "$corpus" -type f | wc -l)
  echo "    $target: ${executions:-?} executions, $entries inputs in $corpus"
done
echo "==> fuzzing done in $SECONDS s"

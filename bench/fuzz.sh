#!/usr/bin/env bash
# Long fuzzing campaigns of the targets in tests/fuzz.rs (cargo test runs
# 250 cases of each; this runs many more, from a new seed each round).
#
#   bench/fuzz.sh [CASES_PER_ROUND] [ROUNDS] [TARGET]
#
# A crash stops it: the input is saved under target/tmp/fuzz-findings/
# (`current.bin` holds the input being run when the process aborted rather
# than panicked). Once fixed, keep the input in tests/fuzz/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-20000}"
rounds="${2:-5}"
target="${3:-}"
cargo test --release --test fuzz --no-run
for round in $(seq 1 "$rounds"); do
    seed=$(( $(date +%s) * 7919 + round ))
    echo "round $round of $rounds: $cases cases per target, seed $seed"
    ATLAS_FUZZ_CASES="$cases" ATLAS_FUZZ_SEED="$seed" \
        cargo test --release --test fuzz -- --nocapture --test-threads 1 $target
done

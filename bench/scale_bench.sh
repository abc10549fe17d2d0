#!/usr/bin/env bash
# The scale curve: Miner's Haven (61k instances) against a place four times
# its size (~244k instances: its project with each service's contents
# copied three more times), for syncback, build and serve start-up, each
# with its peak memory. Runs on /dev/shm when there is one.
#
#   bench/scale_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
place=../shared/corpus/places/miners-haven.rbxl
[ -f "$place" ] || { echo "$place is missing (../shared beside the repository)"; exit 1; }
cargo build --release --quiet
atlas="$PWD/target/release/atlas"
out=/dev/shm/atlas-scale-bench
[ -d /dev/shm ] || out="$PWD/bench/out/scale"
rm -rf "$out" && mkdir -p "$out"
cd "$out"

project() { mkdir -p "$1/src"; echo "{ name: 'Scale', tree: { \$className: 'DataModel', \$path: 'src' } }" > "$1/default.project.json5"; }
timed() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }

# The two places, as `atlas build` writes them.
project mh && "$atlas" syncback -q mh -i "$OLDPWD/$place" >/dev/null 2>&1
project x4 && cp -r mh/src/* x4/src/
for copy in 2 3 4; do
    for service in mh/src/*/; do
        name=$(basename "$service")
        mkdir -p "x4/src/$name/Copy$copy"
        cp -r "$service"* "x4/src/$name/Copy$copy/" 2>/dev/null || true
        rm -f "x4/src/$name/Copy$copy"/init.*
    done
done
"$atlas" build -q mh -o mh.rbxl >/dev/null
"$atlas" build -q x4 -o x4.rbxl >/dev/null

for size in mh x4; do
    rm -rf "s-$size" && project "s-$size"
    read -r sb_time sb_mem < <(timed "$atlas" syncback -q "s-$size" -i "$size.rbxl")
    read -r b_time b_mem < <(timed "$atlas" build -q "s-$size" -o "b-$size.rbxl")
    files=$(find "s-$size/src" -type f | wc -l)
    rm -rf copy && cp_start=$(date +%s.%N) && cp -r "s-$size/src" copy && cp_time=$(echo "$(date +%s.%N) - $cp_start" | bc) && rm -rf copy
    # Serve start-up: until the start line says it is serving.
    serve_start=$(date +%s.%N)
    "$atlas" serve "s-$size" --port 0 > serve.log 2>&1 & pid=$!
    until grep -q "^listening" serve.log 2>/dev/null; do sleep 0.05; done
    serve_time=$(echo "$(date +%s.%N) - $serve_start" | bc)
    serve_mem=$(grep VmHWM /proc/$pid/status | awk '{print $2}')
    kill -INT $pid; wait $pid || true
    echo "$size: $files files; syncback ${sb_time}s ${sb_mem} KB (cp -r ${cp_time}s); build ${b_time}s ${b_mem} KB; serve start-up ${serve_time}s ${serve_mem} KB"
done

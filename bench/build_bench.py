#!/usr/bin/env python3
"""Times `atlas build` on a large generated project.

usage: python3 bench/build_bench.py [--runs N] [--json5] [--keep]

Generates the project with ../shared/bench/gen_project.py (3000 scripts,
1000 models: about 4,000 files and 13,600 instances) under bench/out/, builds
Atlas in release mode, then reports for `atlas build -o out.rbxl`:
  - wall time: median (and min/max) of N runs after one warm-up run;
  - peak memory (max RSS) of each run, median;
and, as the floor, the wall time of `cat`-ing every file of the project.
"""
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(REPO), "shared")
OUT = os.path.join(HERE, "out")


def run_timed(cmd, **kwargs):
    """Runs cmd, returns (wall seconds, peak RSS in KiB of that child)."""
    start = time.perf_counter()
    # wait4 gives this child's own peak RSS.
    proc = subprocess.Popen(cmd, **kwargs)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}")
    return wall, usage.ru_maxrss


def main():
    args = sys.argv[1:]
    runs = 5
    json5 = "--json5" in args
    if "--runs" in args:
        runs = int(args[args.index("--runs") + 1])

    project = os.path.join(OUT, "project-json5" if json5 else "project")
    if not os.path.isdir(project):
        gen = [sys.executable, os.path.join(SHARED, "bench", "gen_project.py"), project,
               "--scripts", "3000", "--models", "1000"] + (["--json5"] if json5 else [])
        subprocess.run(gen, check=True, stdout=subprocess.DEVNULL)

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    atlas = os.path.join(REPO, "target", "release", "atlas")
    output = os.path.join(OUT, "bench.rbxl")

    files = []
    for root, _, names in os.walk(project):
        files.extend(os.path.join(root, n) for n in names)
    total_bytes = sum(os.path.getsize(f) for f in files)

    build_cmd = [atlas, "build", project, "-o", output]
    run_timed(build_cmd, stdout=subprocess.DEVNULL)  # warm-up (page cache)
    samples = [run_timed(build_cmd, stdout=subprocess.DEVNULL) for _ in range(runs)]
    walls = [s[0] for s in samples]
    rss = [s[1] for s in samples]

    # The floor: read every file of the project once, with cat.
    cat_cmd = ["xargs", "-0", "cat"]
    floor = []
    listing = "\0".join(files).encode()
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(cat_cmd, input=listing, stdout=subprocess.DEVNULL, check=True)
        floor.append(time.perf_counter() - start)
    floor = floor[1:]

    print(f"project: {project} ({len(files)} files, {total_bytes / 1e6:.1f} MB)")
    print(f"atlas build -> .rbxl, {runs} runs after a warm-up:")
    print(f"  wall  median {statistics.median(walls) * 1000:.0f} ms  (min {min(walls) * 1000:.0f}, max {max(walls) * 1000:.0f})")
    print(f"  peak memory median {statistics.median(rss) / 1024:.1f} MiB (max {max(rss) / 1024:.1f})")
    print(f"floor: cat of every file, median {statistics.median(floor) * 1000:.0f} ms")

    if "--keep" not in args:
        os.remove(output)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Times `atlas syncback` of a real place into an empty place project.

usage: python3 bench/syncback_bench.py [--runs N] [--place FILE | --traits] [--out DIR]

Default place: ../shared/corpus/places/miners-haven.rbxl (61k instances,
about 61k files out). `--traits`: the place `bench/gen_traits_place.py`
writes (57k instances, 1 MB of terrain, 1,332 attributes, 16k tagged
instances; generated once under bench/out/), whose peak memory the
syncback issue bounds at 400 MB. For each run: a fresh empty project under bench/out/,
`atlas syncback` into it (wall, user and sys time, peak memory), then, in the
same run, `cp -r` of the folder Atlas wrote: the floor for creating those
files on this disk. That floor swings between runs (file system state), so
the ratio of the two is what to compare. Each run also decodes the place
alone (`bench/decode_floor.rs`): with `cp -r`, the floor of syncback's
time, and the floor of its memory (the decoder's DOM).

`--out DIR` writes the projects there instead of under bench/out/ (a tmpfs
such as /dev/shm measures Atlas rather than the disk).
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(REPO), "shared")
OUT = os.path.join(HERE, "out", "syncback")
if "--out" in sys.argv:
    OUT = os.path.join(sys.argv[sys.argv.index("--out") + 1], "atlas-syncback-bench")


def timed(cmd):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"command failed: {' '.join(cmd)}")
    return wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss


def main():
    args = sys.argv[1:]
    runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 5
    place = args[args.index("--place") + 1] if "--place" in args else os.path.join(
        SHARED, "corpus", "places", "miners-haven.rbxl")
    if "--traits" in args:
        place = os.path.join(HERE, "out", "traits.rbxlx")
        if not os.path.exists(place):
            os.makedirs(os.path.dirname(place), exist_ok=True)
            subprocess.run([sys.executable, os.path.join(HERE, "gen_traits_place.py"),
                            "--out", place], check=True)

    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "atlas",
                    "--example", "decode_floor"], cwd=REPO, check=True)
    atlas = os.path.join(REPO, "target", "release", "atlas")
    decode = os.path.join(REPO, "target", "release", "examples", "decode_floor")

    rows = []
    for i in range(runs):
        shutil.rmtree(OUT, ignore_errors=True)
        project = os.path.join(OUT, "project")
        os.makedirs(project)
        with open(os.path.join(project, "default.project.json5"), "w") as f:
            f.write("{ name: 'Bench', tree: { $className: 'DataModel', $path: 'src' } }\n")
        wall, user, sys_time, rss = timed([atlas, "syncback", project, "-i", place])
        files = sum(len(names) for _, _, names in os.walk(project))
        cp_wall, _, _, _ = timed(["cp", "-r", project, os.path.join(OUT, "copy")])
        decode_wall, _, _, decode_rss = timed([decode, place])
        rows.append((wall, user, sys_time, rss, cp_wall, files, decode_wall, decode_rss))
        print(f"run {i + 1}: syncback {wall:.2f}s (user {user:.2f}s, sys {sys_time:.2f}s, "
              f"peak {rss / 1024:.0f} MiB), cp -r {cp_wall:.2f}s, ratio {wall / cp_wall:.2f}, {files} files; "
              f"decoding alone {decode_wall:.2f}s, peak {decode_rss / 1024:.0f} MiB")

    med = lambda k: statistics.median(r[k] for r in rows)
    ratios = [r[0] / r[4] for r in rows]
    print(f"median: syncback {med(0):.2f}s, cp -r {med(4):.2f}s, ratio {statistics.median(ratios):.2f} "
          f"(min {min(ratios):.2f}), peak {med(3) / 1024:.0f} MiB")
    # What no syncback can go below: decoding the place, then creating the
    # files (cp -r), and the decoder's own peak memory.
    print(f"floor: decoding alone {med(6):.2f}s + cp -r {med(4):.2f}s = ratio "
          f"{(med(6) + med(4)) / med(4):.2f}; decoding alone peaks at {med(7) / 1024:.0f} MiB "
          f"(syncback's peak is {med(3) / med(7):.2f}x that)")
    shutil.rmtree(OUT, ignore_errors=True)


if __name__ == "__main__":
    main()

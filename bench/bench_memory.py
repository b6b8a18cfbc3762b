"""Peak memory of counting one very large image, in a fresh process per run.

    .venv/bin/python bench/bench_memory.py [--sides 10000 20000] [--models classical nuclei]

Each run draws a uint8 image of ``side``² pixels (bright discs of ~20 px on a
noisy background), writes it as a TIFF, and counts it with
``cellcounter count`` in a child process; the child's peak resident memory
(``ru_maxrss`` of the finished child) is reported next to the image's own
size, so the ratio says how many copies of the image the engine holds at
its worst.  Targets (issue 18): <= 1.5 GiB for 10000², <= 3 GiB for 20000².
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import tifffile

TARGET_GIB = {10000: 1.5, 20000: 3.0}


def draw(side: int, path: Path, seed: int = 0) -> None:
    """A ``side``² uint8 field of bright discs (~20 px, one per 64² block) with camera noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:64, :64]
    tile = np.where((yy - 32) ** 2 + (xx - 32) ** 2 <= 100, 170, 20).astype(np.uint8)
    image = np.tile(tile, (side // 64 + 1, side // 64 + 1))[:side, :side].copy()
    for y in range(0, side, 2048):
        image[y:y + 2048] += rng.integers(0, 8, image[y:y + 2048].shape, dtype=np.uint8)
    tifffile.imwrite(path, image, bigtiff=True)


def run(path: Path, model: str, out: Path) -> tuple[float, float, int]:
    """(peak RSS GiB of the child, seconds, its exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).with_name("cellcounter")), "count", str(path), "--model", model,
                           "--diameter", "model", "--out", str(out), "--force", "--quiet", "--threads", "2"],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode:
        print(done.stderr[-2000:], file=sys.stderr)
    return max(peak, before) / 2**20, seconds, done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sides", type=int, nargs="+", default=[10000, 20000])
    parser.add_argument("--models", nargs="+", default=["classical", "nuclei"])
    args = parser.parse_args(argv)
    print("| image | model | image size | peak RSS | peak / image | target | seconds |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        for side in args.sides:
            path = Path(scratch) / f"big{side}.tif"
            draw(side, path)
            size = side * side / 2**30
            for model in args.models:
                # a fresh interpreter per run: ru_maxrss of the children only ever grows
                code = ("import sys; from bench_memory import run; from pathlib import Path; "
                        f"p, s, rc = run(Path({str(path)!r}), {model!r}, Path({scratch!r}) / 'o.xlsx'); "
                        "print(p, s, rc)")
                done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                      cwd=Path(__file__).parent)
                peak, seconds, rc = (float(v) for v in done.stdout.split()[-3:])
                target = TARGET_GIB.get(side)
                verdict = f"≤ {target} GiB {'✔' if peak <= target else '✘'}" if target else ""
                print(f"| {side}² uint8 | {model} | {size:.2f} GiB | {peak:.2f} GiB | {peak / size:.1f}× |"
                      f" {verdict} | {seconds:.0f}{' (rc %d)' % rc if rc else ''} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

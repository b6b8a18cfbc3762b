"""A batch on a local Dask cluster (``count --dask local:1``, ``local:2``) next to the plain CLI, in one run.

Generates N 1200×1600 grey TIFFs (bright blurred discs on a noisy, unevenly
lit background) in a temporary folder and counts them with the real
``cellcounter count`` in a fresh process: plain (no ``--dask``), then on a
local cluster of 1 and of 2 workers, all with ``--threads 1`` per process
(and the plain CLI once more with ``--threads 2``, the same cores as 2
workers). For each run it prints, in one Markdown table: the wall time of
the whole command, the batch time (from the ``Counting N image(s)`` line to
the last image's progress line: the cluster's start-up, the model load and
the workbook written are outside it), images/s, the median ``count_image``
seconds per image (the Images sheet's ``seconds``), the time per image each
counting process spent outside ``count_image`` (reading, scheduling, sending
the result) and the client process's RSS (sampled every 50 ms; the values
when the batch starts, at its middle image and at its last, and the peak:
flat means the client does not grow with the batch). A local cluster's
scheduler runs in the client process, so its memory is in the client's RSS;
the workers' is shown apart. Then the scheduler overhead per image (local:1
minus plain, outside ``count_image`` and from the batch times alone), the
ratios, the total cell counts of every run (the same when the cluster counts
what the plain CLI counts) and the load average. ``--repeat R`` runs the
commands R times, interleaved, and keeps each one's fastest batch (a shared
machine's load changes between runs).

    .venv/bin/python bench/bench_cluster.py [--images 200] [--model classical] [--repeat R] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import psutil
import tifffile
from scipy import ndimage

SHAPE = (1200, 1600)
PROGRESS = re.compile(r"^\[[#.]+\] (\d+)/(\d+) ")
TOTAL = re.compile(r"(\d+) of (\d+) image\(s\) counted, (\d+) cells in total")
CLI = "import sys; from cellcounter_app.cli import main; sys.exit(main())"
MB = 1024 * 1024


def write_images(folder: Path, n: int, seed: int = 21) -> None:
    """``n`` 1200×1600 uint16 TIFFs of 150–250 bright blurred discs (radius 7–12 px) on a noisy background."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    shading = 1.0 + 0.3 * np.sin(xx / SHAPE[1] * np.pi) * np.cos(yy / SHAPE[0] * np.pi / 2)
    for i in range(n):
        discs = np.zeros(SHAPE, np.float32)
        for _ in range(int(rng.integers(150, 251))):
            radius = rng.uniform(7, 12)
            cy, cx = rng.uniform(radius, SHAPE[0] - radius), rng.uniform(radius, SHAPE[1] - radius)
            y0, y1 = int(cy - radius), int(cy + radius) + 2
            x0, x1 = int(cx - radius), int(cx + radius) + 2
            inside = (yy[y0:y1, x0:x1] - cy) ** 2 + (xx[y0:y1, x0:x1] - cx) ** 2 <= radius ** 2
            discs[y0:y1, x0:x1][inside] = rng.uniform(0.5, 1.0)
        image = 0.08 * shading + ndimage.gaussian_filter(discs, 2.0) + rng.normal(0, 0.02, SHAPE)
        tifffile.imwrite(folder / f"image{i:04d}.tif", (np.clip(image, 0, 1) * 60000).astype(np.uint16))


@dataclass
class Run:
    """One ``cellcounter count`` command: its times, the client's RSS over the batch and what it counted."""

    label: str
    args: list[str]
    processes: int = 1                    # processes counting at once: the workers of a local cluster
    wall_s: float = 0.0
    started: float | None = None          # monotonic time of the "Counting N image(s)" line
    done: dict[int, float] = field(default_factory=dict)  # images done -> monotonic time of its progress line
    rss: list[tuple[float, int]] = field(default_factory=list)      # (monotonic time, client RSS)
    workers_rss: list[int] = field(default_factory=list)            # the child processes' RSS, summed
    cells: int | None = None
    counted: str = ""
    seconds: list[float] = field(default_factory=list)  # the Images sheet's seconds: count_image per image

    def outside_ms(self, n: int) -> float:
        """Time per image each counting process spent outside `count_image`: reading, scheduling, sending."""
        return (self.batch_s * self.processes - sum(self.seconds)) / n * 1000

    @property
    def batch_s(self) -> float:
        return max(self.done.values()) - self.started if self.done and self.started is not None else float("nan")

    def rss_at(self, when: float | None) -> int:
        """The client's RSS at the sample nearest ``when``."""
        if when is None or not self.rss:
            return 0
        return min(self.rss, key=lambda sample: abs(sample[0] - when))[1]


def count(run: Run, images: Path, out: Path, model: str) -> Run:
    """Run ``cellcounter count`` in a fresh process, timing its progress lines and sampling its RSS."""
    command = [sys.executable, "-c", CLI, "count", str(images), "--out", str(out), "--force",
               "--model", model, *run.args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    start = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    client = psutil.Process(proc.pid)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                run.rss.append((time.monotonic(), client.memory_info().rss))
                run.workers_rss.append(sum(_rss(child) for child in client.children(recursive=True)))
            except psutil.NoSuchProcess:
                return
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout: list[str] = []
    reader = threading.Thread(target=lambda: stdout.extend(proc.stdout), daemon=True)
    reader.start()
    errors: list[str] = []
    for line in proc.stderr:
        now = time.monotonic()
        if line.startswith("Counting "):
            run.started = now
        elif match := PROGRESS.match(line):
            run.done[int(match[1])] = now
        else:
            errors.append(line)
    rc = proc.wait()
    run.wall_s = time.monotonic() - start
    stop.set()
    sampler.join()
    reader.join()
    if rc != 0:
        raise SystemExit(f"{run.label}: cellcounter count exited {rc}:\n{''.join(errors[-20:])}")
    total = next((m for m in map(TOTAL.search, stdout) if m), None)
    if total:
        run.cells, run.counted = int(total[3]), f"{total[1]}/{total[2]}"
    run.seconds = _seconds(out)
    return run


def _seconds(workbook: Path) -> list[float]:
    """The ``seconds`` column of the workbook's Images sheet."""
    book = openpyxl.load_workbook(workbook, read_only=True)
    try:
        rows = book["Images"].iter_rows(values_only=True)
        column = next(rows).index("seconds")
        return [float(row[column]) for row in rows]
    finally:
        book.close()


def _rss(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0


def report(runs: list[Run], n: int, model: str, rounds: int) -> str:
    by_label = {run.label: run for run in runs}
    plain, one, two = by_label["plain --threads 1"], by_label["local:1"], by_label["local:2"]
    naive = (one.batch_s - plain.batch_s) / n * 1000
    overhead = one.outside_ms(n) - plain.outside_ms(n)
    best = f", the best of {rounds} interleaved rounds each" if rounds > 1 else ""
    lines = [
        f"{n} generated 1200x1600 uint16 images, model {model}, --threads 1 per process{best}, "
        f"{os.cpu_count()} cores",
        "",
        "| run | wall s | batch s | images/s | count_image s/image | outside count_image ms/image"
        " | client RSS MB: start / middle / end | client peak MB | workers peak MB | cells |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        middle, end = run.done.get(max(1, n // 2)), run.done.get(n)
        rss = " / ".join(f"{run.rss_at(t) / MB:.0f}" for t in (run.started, middle, end))
        peak = max((r for _, r in run.rss), default=0) / MB
        workers = f"{max(run.workers_rss, default=0) / MB:.0f}" if "local" in run.label else "—"
        lines.append(f"| {run.label} | {run.wall_s:.1f} | {run.batch_s:.1f} | {n / run.batch_s:.2f} | "
                     f"{statistics.median(run.seconds or [float('nan')]):.3f} | {run.outside_ms(n):.0f} | {rss} | "
                     f"{peak:.0f} | {workers} | {run.cells} ({run.counted}) |")
    lines += [
        "",
        f"- scheduler overhead per image: {overhead:.0f} ms (time outside count_image, local:1 minus plain);"
        f" {naive:.0f} ms from the batch times alone (local:1 minus plain, over {n} images)",
        f"- local:1 / plain --threads 1: {plain.batch_s / one.batch_s:.2f}x images/s",
        f"- local:2 / local:1: {one.batch_s / two.batch_s:.2f}x",
        f"- local:2 / plain --threads 1: {plain.batch_s / two.batch_s:.2f}x",
    ]
    threads2 = by_label.get("plain --threads 2")
    if threads2 is not None:
        lines.append(f"- local:2 / plain --threads 2: {threads2.batch_s / two.batch_s:.2f}x")
    lines.append(f"- cluster start-up and shutdown (wall minus batch, local:1 minus plain): "
                 f"{(one.wall_s - one.batch_s) - (plain.wall_s - plain.batch_s):.1f} s")
    grew = [f"{r.label} {(r.rss_at(r.done.get(n)) - r.rss_at(r.done.get(max(1, n // 2)))) / MB:+.0f} MB" for r in runs]
    lines.append(f"- client RSS from the middle image to the last: {', '.join(grew)}")
    same = len({r.cells for r in runs}) == 1
    lines.append(f"- same cell total in every run: {'yes' if same else 'NO: ' + str([r.cells for r in runs])}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=200, help="how many images to generate (default 200)")
    parser.add_argument("--model", default="classical", help="model to count with: classical (default), nuclei, ...")
    parser.add_argument("--repeat", type=int, default=1, metavar="R",
                        help="run every command R times, interleaved, and keep each one's fastest batch (default 1)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="generate the images (and the workbooks) in DIR and keep them; reused when there")
    parser.add_argument("--no-threads-2", action="store_true", help="skip the plain CLI with --threads 2")
    args = parser.parse_args(argv)
    if args.images < 2 or args.repeat < 1:
        parser.error(f"--images needs at least 2 images and --repeat at least 1, got {args.images} and {args.repeat}")
    configs = [("plain --threads 1", ["--threads", "1"], 1),
               ("local:1", ["--threads", "1", "--dask", "local:1"], 1),
               ("local:2", ["--threads", "1", "--dask", "local:2"], 2)]
    if not args.no_threads_2:
        configs.append(("plain --threads 2", ["--threads", "2"], 1))
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as temp:
        root = args.keep or Path(temp)
        images = root / "images"
        images.mkdir(parents=True, exist_ok=True)
        if len(list(images.glob("*.tif"))) != args.images:
            for old in images.glob("*.tif"):
                old.unlink()
            started = time.perf_counter()
            write_images(images, args.images)
            print(f"generated {args.images} images in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        load = os.getloadavg()
        best: dict[str, Run] = {}
        for round_ in range(args.repeat):
            for label, extra, processes in configs:
                print(f"round {round_ + 1}/{args.repeat}: {label}", file=sys.stderr)
                out = root / f"{label.replace(' ', '').replace(':', '')}.xlsx"
                run = count(Run(label, extra, processes), images, out, args.model)
                if label not in best or run.batch_s < best[label].batch_s:
                    best[label] = run
        print(report([best[label] for label, _, _ in configs], args.images, args.model, args.repeat))
        end = os.getloadavg()
        print(f"- load average (1 min) before the runs {load[0]:.2f}, after them {end[0]:.2f} (theirs included),"
              f" on {os.cpu_count()} cores" + (" (busy before: rerun for cleaner figures)"
                                               if load[0] > 0.5 * (os.cpu_count() or 1) else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Engine benchmark: speed and memory of counting, measured against references in one run.

Run from the repository root::

    .venv/bin/python bench/bench_engine.py [--out bench-engine.md]

It prints one Markdown table (and writes it to ``--out``): end-to-end
seconds per image, inference alone (ONNX Runtime tiled and in one piece,
torch eager plain and channels_last), tile-size sensitivity, peak memory with
and without tiling, and the time to re-run post-processing after a threshold
change; then the ratios and PASS/FAIL against the targets.  See
``bench/README.md``.  Timings are medians of at least 3 runs (5 for the
re-post-processing); heavy or isolated work runs in fresh subprocesses
(``_engine_child.py``).
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path

import tifffile

from _engine_child import THREADS
from _engine_images import Case, grey16_cells, rgb_cells
from _engine_report import Report
from _engine_sections import (end_to_end, environment, inference, load_note, peak_memory, recount_speed,
                              seam_check)

from cellcounter_app.inference import OnnxModel

log = logging.getLogger("bench_engine")

ROOT = Path(__file__).resolve().parents[1]
CHILD = Path(__file__).resolve().with_name("_engine_child.py")


def run_child(*args: str) -> dict:
    """Run one `_engine_child` job in a fresh interpreter; its last stdout line is JSON."""
    done = subprocess.run([sys.executable, str(CHILD), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child job {args[0]} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def make_cases(folder: Path) -> tuple[Case, Case]:
    a, n_a = rgb_cells()
    b, n_b = grey16_cells()
    tifffile.imwrite(folder / "a_rgb_1200x1600.tif", a, photometric="rgb")
    tifffile.imwrite(folder / "b_grey16_4096.tif", b, photometric="minisblack")
    return (Case("A: 1200x1600 RGB u8", folder / "a_rgb_1200x1600.tif", a, n_a),
            Case("B: 4096x4096 grey u16", folder / "b_grey16_4096.tif", b, n_b))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the Markdown report to this file")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per measurement (>= 3)")
    parser.add_argument("--real-model", type=Path, default=ROOT / "models" / "nuclei.onnx",
                        help="trained model for the realistic end-to-end rows (default: models/nuclei.onnx)")
    parser.add_argument("--max-rss-gb", type=float, default=18.0,
                        help="skip the untiled 4096x4096 run when its estimated peak memory exceeds this")
    args = parser.parse_args(argv)
    if args.repeats < 3:
        parser.error(f"--repeats must be at least 3, got {args.repeats}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="cellcounter-bench-") as tmp:
        folder = Path(tmp)
        log.info("drawing the test images")
        case_a, case_b = make_cases(folder)
        log.info("exporting the random-weight c-ResUnet (torch, in a subprocess)")
        exported = run_child("export", str(folder))
        rgb = OnnxModel(exported["random-rgb"]["onnx"], use_gpu=False, threads=THREADS)
        grey = OnnxModel(exported["random-grey"]["onnx"], use_gpu=False, threads=THREADS)
        real = OnnxModel(args.real_model, use_gpu=False, threads=THREADS) if args.real_model.is_file() else None
        environment(report, exported, real, args.real_model)
        log.info("inference alone")
        inference(report, rgb, grey, case_a, case_b, args.repeats, folder, run_child)
        pairs = [(real, "real", case_a), (real, "real", case_b)] if real is not None else []
        pairs += [(rgb, "random", case_a), (grey, "random", case_b)]
        log.info("end to end")
        results = end_to_end(report, pairs, args.repeats)
        log.info("re-post-processing")
        recount_speed(report, [p for p in pairs if p[2] is case_a or p[1] == "random"], results, args.repeats)
        if real is not None:
            seam_check(report, real, case_a, results[("real", case_a.label)].probability)
        log.info("peak memory (fresh subprocesses)")
        peak_memory(report, exported["random-grey"]["onnx"], case_b, args.max_rss_gb, run_child)
        load_note(report, "end")
    text = report.markdown()
    sys.stdout.write(text)
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

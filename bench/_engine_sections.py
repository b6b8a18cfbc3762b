"""The measurements of the engine benchmark, one function per section of the report."""

from __future__ import annotations

import cProfile
import os
import platform
import pstats
import statistics
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path

import numpy as np

from _engine_child import GAIN, OFFSET, THREADS
from _engine_images import Case
from _engine_report import Report, Row, interleaved, timed

from cellcounter_app.inference import OnnxModel, adapt_channels, compute_stats
from cellcounter_app.inference.tiling import plan_axis
from cellcounter_app.io import read_image
from cellcounter_app.measure import measure_cells, summarize
from cellcounter_app.pipeline import count_image, effective_params, recount
from cellcounter_app.postprocess import PostprocessParams, postprocess
from cellcounter_app.results import ImageResult

RunChild = Callable[..., dict]
Pairs = Sequence[tuple[OnnxModel, str, Case]]
PIXEL_SIZE_UM = 0.65
"""Calibration passed to the re-post-processing so the µm columns are computed too."""
RECOUNT_RUNS = 5
PROBE_SIDES = (1024, 1536)
"""Square crops run untiled to extrapolate the untiled peak memory of the big image."""


def environment(report: Report, exported: dict, real: OnnxModel | None, real_path: Path) -> None:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("onnxruntime", "numpy", "scipy",
                                                                         "scikit-image", "torch"))
    report.header += [
        f"## Engine benchmark ({datetime.now().astimezone().isoformat(timespec='minutes')})", "",
        f"{cpu}, {os.cpu_count()} cores, {_mem_total_gib():.0f} GiB RAM; Python {platform.python_version()}, "
        f"{versions}. ONNX Runtime and torch both on {THREADS} threads.",
    ]
    load_note(report, "start")
    params = exported["random-rgb"]["parameters"]
    report.notes.append(
        f"*random* = `CResUnet()` at its defaults ({params / 1e6:.2f}M parameters; the paper's c-ResUnet is "
        "~1.7M), random weights, exported by `training.export_onnx` (opset 17, dynamic H/W, sigmoid in the "
        "graph, CellCounter metadata). Its colour conv, the first encoder and last decoder blocks and the head "
        f"are set so that the output is sigmoid({GAIN:g}·(normalised intensity − {OFFSET:g})): every layer "
        "still runs at full width (same FLOPs as a trained net) and the post-processing gets realistic blobs, "
        "not noise. RGB images use a 3-channel export, grey images a 1-channel one.")
    if real is None:
        report.notes.append(f"No trained model at `{real_path}`: the *real* rows are left out.")
    else:
        report.notes.append(f"*real* = `{real_path.name}` ({real.meta.name} {real.meta.version}, "
                            f"diameter {real.meta.diameter_px:g} px) with its own post-processing defaults.")


def load_note(report: Report, when: str) -> None:
    """Record the 1-minute load average: other work on the machine slows every timing."""
    load = os.getloadavg()[0]
    busy = " (the machine is busy: timings are pessimistic)" if load > 0.5 else ""
    report.notes.append(f"Load average (1 min) at the {when} of the run: {load:.2f}{busy}.")


def inference(report: Report, rgb: OnnxModel, grey: OnnxModel, a: Case, b: Case, repeats: int,
              folder: Path, run_child: RunChild) -> None:
    """Section 2: OnnxModel.predict at three tile sizes; raw session.run vs torch eager; predict on B."""
    h, w = a.data.shape[:2]
    default = rgb.tile_size
    shipped = rgb.single_tile_pixels
    rgb.single_tile_pixels = 0  # force the tile sizes below; the shipped rule runs A in one piece
    whole = -(-max(h, w) // rgb.input_multiple) * rgb.input_multiple
    sizes = {"2a": (f"{default} (metadata default)", default), "2b": ("1024", 1024),
             "2c": ("whole image (one tile, what the app does for images up to "
                    f"{shipped / 1e6:.1f} Mpx)", whole)}
    outputs: dict[str, np.ndarray] = {}

    def predict_at(key: str) -> Callable[[], None]:
        def run() -> None:
            rgb.tile_size = sizes[key][1]
            outputs[key] = rgb.predict(a.data)
        return run

    runs = interleaved({key: predict_at(key) for key in sizes}, repeats)
    fed = []
    for key, (label, tile) in sizes.items():
        report.add(Row(key, f"Inference: `OnnxModel.predict`, tile {label}", a.label, "random", runs[key]))
        rgb.tile_size = tile
        fed.append(f"{label}: {_fed_pixels(h, w, rgb) / (h * w):.2f}")
    rgb.tile_size = default
    rgb.single_tile_pixels = shipped
    report.notes.append(
        "Pixels fed to the network per image pixel (tile padding and overlap): " + "; ".join(fed)
        + f". Tile overlap {rgb.tile_overlap} px; the network's receptive field is 253 px. Tile sizes take "
        f"turns in each round. Max |tile {default} − whole| = {np.abs(outputs['2a'] - outputs['2c']).max():.1e} "
        "(the random net's output is local, so seams cannot show here; see the *real* seam note).")

    chw = adapt_channels(a.data, rgb.meta.input_channels)
    np.save(folder / "a_input.npy", compute_stats(chw, rgb.meta.normalization, channel_axis=0).apply(chw))
    res = run_child("compare", str(rgb.path), str(Path(rgb.path).with_suffix(".pt")), str(folder / "a_input.npy"),
                    str(repeats))
    report.add(Row("2d", "Inference: raw `session.run`, whole image in one piece", a.label, "random", res["ort"]))
    report.add(Row("2e", "Inference: torch eager, NCHW, whole image", a.label, "random", res["plain"]))
    report.add(Row("2f", "Inference: torch eager, channels_last, whole image", a.label, "random",
                   res["channels_last"]))
    report.notes.append(
        f"Rows 2d-2f: one fresh process, the same weights and normalised input, the three taking turns in each "
        f"round after one warm-up round (first calls: ORT {res['ort_warmup']:.2f} s, torch "
        f"{res['plain_warmup']:.2f} s NCHW, {res['channels_last_warmup']:.2f} s channels_last); "
        f"max |ORT − torch| = {res['max_abs_diff']:.1e}. Raw rows exclude normalisation.")
    faster = "2f" if report.row("2f").median <= report.row("2e").median else "2e"
    name = "channels_last" if faster == "2f" else "NCHW"
    report.ratio(f"torch eager ({name}, the faster) / ORT raw session.run, whole image both", faster, "2d", 2.0)
    report.ratio("torch eager (NCHW) / ORT raw session.run", "2e", "2d")
    report.ratio(f"torch eager ({name}) / ORT `OnnxModel.predict` tile {default} (the app's path)", faster, "2a")
    report.ratio(f"`OnnxModel.predict` tile {default} / whole image (tiling overhead)", "2a", "2c")
    report.ratio("`OnnxModel.predict` whole image / raw session.run (normalisation, output handling)", "2c", "2d")

    runs_b = timed(lambda: grey.predict(b.data), repeats)
    report.add(Row("2g", f"Inference: `OnnxModel.predict`, tile {grey.tile_size}", b.label, "random", runs_b))


def end_to_end(report: Report, pairs: Pairs, repeats: int) -> dict[tuple[str, str], ImageResult]:
    """Section 1: read the TIFF, count_image, measurements; the last result of each pair is kept."""
    results: dict[tuple[str, str], ImageResult] = {}
    found = []
    for index, (model, label, case) in enumerate(pairs):
        big = case.data.size > 10_000_000

        def once() -> None:
            results[(label, case.label)] = count_image(read_image(case.path), model)

        runs = timed(once, repeats, warmup=0 if big else 1)
        report.add(Row(f"1{'abcdef'[index]}", "End to end: read TIFF → `count_image` (with measurements)",
                       case.label, label, runs, target=None if big else 1.5))
        found.append(f"{label} on {case.label[:1]}: {results[(label, case.label)].count} of {case.cells}")
    report.notes.append("Cells found / drawn: " + "; ".join(found) + ". End-to-end runs on A follow one untimed "
                        "warm-up; on B (81 tiles) none is needed. `count_image` runs with its defaults: the model's own "
                        "parameters, cell size = the model's (no rescaling).")
    return results


def recount_speed(report: Report, pairs: Pairs, results: dict[tuple[str, str], ImageResult], repeats: int) -> None:
    """Section 4: `recount` on the cached probability after threshold 0.50 -> 0.55."""
    for index, (model, label, case) in enumerate(pairs):
        probability = results[(label, case.label)].probability
        params = effective_params(model).replace(threshold=0.55)
        small = case.data.size <= 10_000_000
        runs = timed(lambda: recount(probability, case.data, params, PIXEL_SIZE_UM),
                     max(RECOUNT_RUNS, repeats) if small else repeats, warmup=1 if small else 0)
        report.add(Row(f"4{'abcdef'[index]}", "Re-post-process + measure (`recount`, threshold 0.50 → 0.55)",
                       case.label, label, runs, unit="ms", target=150.0 if small else None))
        if small:
            report.notes.append(f"`recount` on {case.label[:1]} ({label}): " + _breakdown(probability, case.data, params))


def _breakdown(probability: np.ndarray, intensity: np.ndarray, params: PostprocessParams) -> str:
    labels = postprocess(probability, params)
    cells = measure_cells(labels, intensity, PIXEL_SIZE_UM)
    parts = {
        "postprocess": timed(lambda: postprocess(probability, params), RECOUNT_RUNS),
        "measure_cells": timed(lambda: measure_cells(labels, intensity, PIXEL_SIZE_UM), RECOUNT_RUNS),
        "summarize": timed(lambda: summarize(labels, cells, PIXEL_SIZE_UM), RECOUNT_RUNS),
    }
    text = ", ".join(f"{k} {statistics.median(v) * 1e3:.0f} ms" for k, v in parts.items())
    profiler = cProfile.Profile()
    profiler.runcall(recount, probability, intensity, params, PIXEL_SIZE_UM)
    return f"{text} (medians of {RECOUNT_RUNS}); own-time hot spots of one profiled run: {_hot_spots(profiler)}."


def _hot_spots(profiler: cProfile.Profile, top: int = 5) -> str:
    """The ``top`` functions by own time, each traced up its costliest callers to our own code."""
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    ranked = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    parts = []
    for key, (_, _, own, _, _) in ranked:
        chain = [key]
        while "cellcounter_app" not in chain[-1][0] and stats.get(chain[-1], (0,) * 5)[4] and len(chain) < 8:
            callers = stats[chain[-1]][4]
            chain.append(max(callers.items(), key=lambda item: item[1][3])[0])
        names = [_func_name(chain[0])] + ([_func_name(chain[-1])] if len(chain) > 1 else [])
        parts.append(f"`{' ← '.join(names)}` {own * 1e3:.0f} ms")
    return ", ".join(parts)


def _func_name(key: tuple[str, int, str]) -> str:
    path, line, func = key
    return func.strip("<>") if path == "~" else f"{Path(path).name}:{line}:{func}"


def peak_memory(report: Report, onnx_path: str, b: Case, max_gb: float, run_child: RunChild) -> None:
    """Section 3: peak RSS of fresh processes, tiled vs one whole-image session.run."""
    tiled = run_child("rss", "tiled", onnx_path, str(b.path))
    report.add(Row("3a", "Peak RSS: `OnnxModel.predict` (tiled, as shipped)", b.label, "random",
                   [tiled["peak_mb"]], unit="MiB", target=1024.0))
    report.add(Row("3b", "Peak RSS: tiled predict, then `recount` (= all of `count_image`)", b.label,
                   "random", [tiled["count_peak_mb"]], unit="MiB"))
    wide = run_child("rss", "tiled", onnx_path, str(b.path), "1024")
    report.add(Row("3c", "Peak RSS: `OnnxModel.predict` with tile 1024", b.label, "random",
                   [wide["peak_mb"]], unit="MiB"))
    probes = [run_child("rss", "whole", onnx_path, str(b.path), str(side)) for side in PROBE_SIDES]
    (n1, r1), (n2, r2) = ((p["pixels"], p["peak_mb"]) for p in probes)
    pixels = b.data.shape[0] * b.data.shape[1]
    estimate = r2 + (r2 - r1) * (pixels - n2) / (n2 - n1)
    limit = min(max_gb * 1024, 0.85 * _mem_available_mib())
    note = (f"Peak RSS before predicting (interpreter, libraries, image, model): {tiled['ready_mb']:.0f} MiB; "
            f"tiled predict took {tiled['seconds']:.1f} s there ({wide['seconds']:.1f} s at tile 1024). Untiled probes: {r1:.0f} MiB at "
            f"{PROBE_SIDES[0]}², {r2:.0f} MiB at {PROBE_SIDES[1]}², linear estimate for 4096²: {estimate:.0f} MiB")
    if estimate > limit:
        report.add(Row("3d", "Peak RSS: one `session.run` on the whole image (no tiling)", b.label, "random",
                       [], unit="MiB", note=f"estimated {estimate / 1024:.1f} GiB > {limit / 1024:.1f} GiB"))
        report.notes.append(note + f" (over the {limit / 1024:.1f} GiB limit: not run).")
        return
    whole = run_child("rss", "whole", onnx_path, str(b.path))
    report.add(Row("3d", "Peak RSS: one `session.run` on the whole image (no tiling)", b.label, "random",
                   [whole["peak_mb"]], unit="MiB"))
    report.notes.append(note + f"; measured {whole['peak_mb']:.0f} MiB. The whole-image run took "
                        f"{whole['seconds']:.1f} s. Memory rows: one fresh process each.")
    report.ratio("Peak RSS untiled / tiled (B)", "3d", "3a")


def seam_check(report: Report, real: OnnxModel, a: Case, tiled: np.ndarray) -> None:
    """How much the trained model's tiled output differs from one whole-image pass."""
    shipped = real.single_tile_pixels
    real.single_tile_pixels = 0
    tiled = real.predict(a.data)
    real.single_tile_pixels = shipped
    whole = real.predict(a.data)
    params = effective_params(real)
    n_tiled, n_whole = (int(postprocess(p, params).max()) for p in (tiled, whole))
    diff = np.abs(tiled - whole)
    report.notes.append(f"*real* tiled ({real.tile_size}) vs whole image on A: max |Δp| {diff.max():.3f}, mean "
                        f"{diff.mean():.1e}, pixels with |Δp| > 0.1: {(diff > 0.1).mean() * 100:.3f} %; "
                        f"cells {n_tiled} tiled vs {n_whole} whole.")


def _fed_pixels(h: int, w: int, model: OnnxModel) -> int:
    tile = model.tile_size // model.input_multiple * model.input_multiple
    rows = plan_axis(h, tile, model.tile_overlap, model.input_multiple)
    cols = plan_axis(w, tile, model.tile_overlap, model.input_multiple)
    return sum(s.size for s in rows) * sum(s.size for s in cols)


def _meminfo(key: str) -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _mem_total_gib() -> float:
    return _meminfo("MemTotal") / 1024.0


def _mem_available_mib() -> float:
    return _meminfo("MemAvailable")

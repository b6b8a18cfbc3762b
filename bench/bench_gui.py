"""Responsiveness of the window: slider-to-overlay time and event-loop stalls during a batch.

Run (no display needed)::

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui.py [--images 50] [--model nuclei]

1. A 1200x1600 image of nuclei is counted; then the threshold slider is
   moved ``--moves`` times and the time from the slider change to the
   redrawn overlay is measured (target: at most 150 ms).
2. ``--images`` images of 1200x1600 are dropped and counted while a 5 ms
   timer measures the gaps of the event loop; the longest gap beyond the
   timer interval is the longest stall (target: at most 100 ms).
3. With ``--training S``, a training run of S seconds is started from the
   training panel on the counted images (one added cell each) and the
   longest stall is measured the same way (target: at most 100 ms).
The numbers are printed next to their targets (ratio = measured / target).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

SHAPE = (1200, 1600)
SLIDER_TARGET_MS = 150.0
STALL_TARGET_MS = 100.0
TICK_MS = 5


def nuclei_image(seed: int, n: int = 400) -> np.ndarray:
    """Bright ellipses of about 20 px on a dark, slightly uneven background."""
    rng = np.random.default_rng(seed)
    image = np.full(SHAPE, 12.0) + rng.normal(0, 3, SHAPE)
    rows, cols = np.ogrid[: SHAPE[0], : SHAPE[1]]
    for r, c in zip(rng.integers(15, SHAPE[0] - 15, n), rng.integers(15, SHAPE[1] - 15, n)):
        radius = rng.uniform(7, 11)
        window = (slice(r - 12, r + 13), slice(c - 12, c + 13))
        disc = (rows[window[0]] - r) ** 2 + (cols[:, window[1]] - c) ** 2 <= radius**2
        image[window][disc] = rng.uniform(60, 220)
    return np.clip(image, 0, 255).astype(np.uint8)


def wait(app, condition, timeout_s: float = 600.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not finish in time")
        app.processEvents()
        time.sleep(0.001)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--model", default="nuclei")
    parser.add_argument("--threads", type=int, default=0, help="inference threads (0: ONNX Runtime's choice)")
    parser.add_argument("--training", type=float, default=0.0, metavar="S",
                        help="also measure stalls during S seconds of training (needs torch)")
    args = parser.parse_args()

    import pyqtgraph as pg
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication
    from synthetic_images import write_png

    from cellcounter_app.gui.error_log import ErrorLog
    from cellcounter_app.gui.main_window import QtMainWindow
    from cellcounter_app.gui.session import Session
    from cellcounter_app.gui.settings import UserSettings

    pg.setConfigOptions(imageAxisOrder="row-major")
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["CELLCOUNTER_CONFIG_DIR"] = str(root / "config")
        folder = root / "images"
        for i in range(args.images):
            write_png(folder / f"img{i:03d}.png", nuclei_image(i))
        session = Session(UserSettings(default_model=args.model, threads=args.threads))
        window = QtMainWindow(session, ErrorLog())
        window.resize(1500, 950)
        window.show()
        session.new_project(root / "project")

        # 1. slider -> overlay
        session.add_paths([folder / "img000.png"])
        wait(app, lambda: not session.busy and session.project.images[0].state == "counted")
        wait(app, lambda: session.result(session.current) is not None)
        slider = window.controls.controls["threshold"].slider
        times = []
        for move in range(args.moves):
            recounted: list[float] = []
            drawn: list[float] = []
            session.preview_finished.connect(lambda *_a, r=recounted: r.append(time.perf_counter()))
            window.bridge.overlay_updated.connect(
                lambda _s, r=recounted, d=drawn: d.append(time.perf_counter()) if r else None)
            start = time.perf_counter()
            slider.setValue(40 + (move % 2) * 40 + move % 7)
            wait(app, lambda d=drawn: bool(d) and session._preview is None)
            times.append((drawn[0] - start) * 1000)
            window.bridge.overlay_updated.disconnect()
            session.preview_finished.disconnect()
        count = session.project.images[0].count

        # 2. stalls during a batch
        gaps: list[float] = []
        clock = QElapsedTimer()
        clock.start()
        last = [clock.elapsed()]

        def tick() -> None:
            now = clock.elapsed()
            gaps.append(now - last[0] - TICK_MS)
            last[0] = now

        timer = QTimer()
        timer.setInterval(TICK_MS)
        timer.timeout.connect(tick)
        timer.start()
        started = time.perf_counter()
        session.add_paths([folder])
        wait(app, lambda: not session.busy and all(e.state != "new" for e in session.project.images))
        seconds = time.perf_counter() - started
        timer.stop()
        counted = sum(e.state == "counted" for e in session.project.images)

        training_gaps: list[float] = []
        if args.training:
            for entry in session.project.images:
                session.project.add_point(entry.id, (5.0, 5.0))
            panel = window.training
            panel.refresh()
            gaps_during_batch, gaps[:] = list(gaps), []
            last[0] = clock.elapsed()
            timer.start()
            started: list[bool] = []
            panel.started.connect(lambda: started.append(True))
            panel.start(minutes=args.training / 60, epochs=100_000)
            wait(app, lambda: bool(started) and panel.worker is None, timeout_s=args.training + 900)
            timer.stop()
            training_gaps, gaps[:] = list(gaps), gaps_during_batch
            print(f"training: {panel.status.text()}")
        window.close()

    median, worst = statistics.median(times), max(times)
    stall = max(gaps)
    p99 = float(np.percentile(gaps, 99))
    print(f"image {SHAPE[1]}x{SHAPE[0]}, model {args.model}, {count} cells after the last move")
    print(f"slider -> overlay updated: median {median:.0f} ms, max {worst:.0f} ms over {args.moves} moves "
          f"(target <= {SLIDER_TARGET_MS:.0f} ms; ratio median/target {median / SLIDER_TARGET_MS:.2f}) "
          f"{'PASS' if median <= SLIDER_TARGET_MS else 'FAIL'}")
    print(f"batch of {args.images} images: {counted} counted in {seconds:.1f} s; event-loop stall: longest "
          f"{stall:.0f} ms, 99th percentile {p99:.0f} ms (target <= {STALL_TARGET_MS:.0f} ms; ratio "
          f"{stall / STALL_TARGET_MS:.2f}) {'PASS' if stall <= STALL_TARGET_MS else 'FAIL'}")
    if training_gaps:
        worst_training = max(training_gaps)
        print(f"training for {args.training:.0f} s in the panel: event-loop stall longest {worst_training:.0f} ms, "
              f"99th percentile {float(np.percentile(training_gaps, 99)):.0f} ms (target <= "
              f"{STALL_TARGET_MS:.0f} ms; ratio {worst_training / STALL_TARGET_MS:.2f}) "
              f"{'PASS' if worst_training <= STALL_TARGET_MS else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

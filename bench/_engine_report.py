"""The engine benchmark's report: one Markdown table, the ratios, the verdicts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

SCALE = {"s": 1.0, "ms": 1e3, "MiB": 1.0}


def timed(fn: Callable[[], object], repeats: int, warmup: int = 0) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``fn`` after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def interleaved(fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 1) -> dict[str, list[float]]:
    """Like `timed` for several functions that take turns in each round (fair under background load)."""
    runs: dict[str, list[float]] = {name: [] for name in fns}
    for round_index in range(warmup + repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            if round_index >= warmup:
                runs[name].append(time.perf_counter() - start)
    return runs


@dataclass
class Row:
    """One measured quantity: its runs (seconds, or MiB for memory) and an optional upper target."""

    key: str
    what: str
    image: str
    model: str
    runs: list[float]
    unit: str = "s"
    target: float | None = None
    """Upper bound in ``unit``; None when the row has no target."""
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.runs) if self.runs else float("nan")

    @property
    def shown(self) -> float:
        """The median in the row's display unit."""
        return self.median * SCALE[self.unit]

    def verdict(self) -> str:
        if self.target is None or not self.runs:
            return ""
        return "PASS" if self.shown <= self.target else "FAIL"


@dataclass
class Ratio:
    """``numerator / denominator`` of two rows' medians, with an optional lower target."""

    what: str
    value: float
    target: float | None = None

    def verdict(self) -> str:
        if self.target is None:
            return ""
        return "PASS" if self.value >= self.target else "FAIL"


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    ratios: list[Ratio] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return self.rows[-1]

    def row(self, key: str) -> Row | None:
        return next((r for r in self.rows if r.key == key and r.runs), None)

    def ratio(self, what: str, slow_key: str, fast_key: str, target: float | None = None) -> None:
        """Add ``median(slow) / median(fast)`` when both rows were measured."""
        slow, fast = self.row(slow_key), self.row(fast_key)
        if slow is not None and fast is not None and fast.median > 0:
            self.ratios.append(Ratio(what, slow.median / fast.median, target))

    def markdown(self) -> str:
        lines = list(self.header)
        lines += ["", "| # | Measurement | Image | Model | Median | Runs | Target | Result |",
                  "|---|---|---|---|---:|---|---|---|"]
        for r in sorted(self.rows, key=lambda row: row.key):
            runs = ", ".join(_fmt(v * SCALE[r.unit], r.unit) for v in r.runs) if r.runs else r.note
            median = f"**{_fmt(r.shown, r.unit)} {r.unit}**" if r.runs else "skipped"
            target = f"<= {_fmt(r.target, r.unit)} {r.unit}" if r.target is not None else ""
            lines.append(f"| {r.key} | {r.what} | {r.image} | {r.model} | {median} | {runs} | {target} "
                         f"| {r.verdict()} |")
        lines += ["", "| Ratio | Value | Target | Result |", "|---|---:|---|---|"]
        for q in self.ratios:
            target = f">= {q.target:g}x" if q.target is not None else ""
            lines.append(f"| {q.what} | {q.value:.2f}x | {target} | {q.verdict()} |")
        lines += ["", "Targets:"]
        for r in sorted(self.rows, key=lambda row: row.key):
            if r.verdict():
                lines.append(f"- **{r.verdict()}** {r.key} {r.what}, {r.image[:1]}, {r.model}: "
                             f"{_fmt(r.shown, r.unit)} {r.unit} (target <= {_fmt(r.target, r.unit)} {r.unit})")
        for q in self.ratios:
            if q.verdict():
                lines.append(f"- **{q.verdict()}** {q.what}: {q.value:.2f}x (target >= {q.target:g}x)")
        lines += [""]
        lines += ["Notes:"] + [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def _fmt(value: float, unit: str) -> str:
    if unit == "MiB" or value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if unit == "s" else f"{value:.1f}"

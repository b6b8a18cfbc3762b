"""Positivity rules: which cells are positive for a marker, from their per-cell measures alone.

Every function here works on the per-cell values that `measure_markers`
returns (no image, no re-measurement), so a view can recompute positivity
while a threshold is dragged.

Rules
-----
``manual``
    Positive when the chosen measure is at least the threshold.
``background``
    Positive when the cell's mean is at least k × its local background, i.e.
    a threshold k on the ``ratio`` measure.
``mixture`` (also ``auto``)
    Two Gaussians with one shared SD are fitted to the log of the measure;
    the threshold is where both are equally likely.
``otsu``
    Otsu's split of the log of the measure.

Both automatic rules first ask whether there are two groups at all (see
`classify`).  When there are not, the image is flagged and not split: its
cells are all negative, or all positive when their median corrected value is
at least ``positive_snr`` background SDs.  Overlapping groups are split and
flagged for review.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from .log_scale import LogScale, log_scale
from .mixture import fit_mixture, otsu_split

MEASURES: tuple[str, ...] = ("corrected", "mean", "median", "integrated", "ratio")
"""Per-cell measures a rule can threshold; the first is the default."""

METHODS: tuple[str, ...] = ("mixture", "otsu", "background", "manual")
AUTOMATIC = frozenset({"mixture", "otsu"})

MIN_BIC_GAIN = 10.0
"""Two groups must describe the log values better than one by this much BIC ("very strong")."""

MAX_VALLEY = 0.75
"""Clear groups: cells near the threshold, relative to those at the smaller group's centre, at most."""

MAX_OVERLAP_VALLEY = 1.0
"""Overlapping groups (split, flagged): no more cells near the threshold than at the smaller group's centre."""

FLAG_ALL_NEGATIVE = "one population: all negative"
FLAG_ALL_POSITIVE = "one population: all positive"
FLAG_OVERLAP = "groups overlap: check the threshold"


@dataclass(frozen=True)
class PositivityRule:
    """How a marker's positive cells are chosen.

    Parameters
    ----------
    method : str
        ``mixture`` (``auto`` is read as ``mixture``), ``otsu``,
        ``background`` or ``manual``.
    measure : str
        One of `MEASURES`; the ``background`` rule always uses ``ratio``.
    threshold : float or None
        The threshold of a ``manual`` rule (in the measure's units) or the
        factor k of a ``background`` rule (1–100); None for the automatic ones.
    min_separation : float
        Automatic rules: the two groups' centres must lie at least this many
        SDs apart on the log scale (1–20, default 3).
    min_group : int
        Automatic rules: cells the smaller group must hold (1–10000, default 3).
    positive_snr : float
        When there is one population: it is positive when its median
        corrected value is at least this many background SDs (0–10000, default 5).

    Examples
    --------
    >>> PositivityRule.parse("auto").method, PositivityRule.parse("250", "mean").threshold
    ('mixture', 250.0)
    >>> PositivityRule.parse("background:1.5").describe()
    'ratio >= 1.5 (background)'
    """

    method: str = "mixture"
    measure: str = MEASURES[0]
    threshold: float | None = None
    min_separation: float = 3.0
    min_group: int = 3
    positive_snr: float = 5.0

    def __post_init__(self) -> None:
        method = "mixture" if self.method == "auto" else self.method
        object.__setattr__(self, "method", method)
        if method not in METHODS:
            raise ParameterError(f"positivity rule must be auto, {', '.join(METHODS)}; got {self.method!r}")
        if self.measure not in MEASURES:
            raise ParameterError(f"marker measure must be one of {', '.join(MEASURES)}; got {self.measure!r}")
        if method == "background" and self.measure != "ratio":
            raise ParameterError(f"the background rule thresholds the 'ratio' measure, not {self.measure!r}")
        if method in AUTOMATIC and self.threshold is not None:
            raise ParameterError(f"the {method} rule finds its own threshold; got threshold {self.threshold!r}")
        if method == "manual":
            _check_number("threshold", self.threshold, -math.inf, math.inf)
        if method == "background":
            _check_number("background factor", self.threshold, 1.0, 100.0)
        _check_number("min_separation", self.min_separation, 1.0, 20.0)
        _check_number("min_group", self.min_group, 1, 10000, integer=True)
        _check_number("positive_snr", self.positive_snr, 0.0, 10000.0)

    @classmethod
    def parse(cls, text: str, measure: str | None = None) -> PositivityRule:
        """A rule from its command-line form: ``auto``, ``mixture``, ``otsu``, ``background[:K]`` or a number.

        ``background`` alone uses k = 2.  ``measure`` (default ``corrected``)
        is ignored by ``background``, which always thresholds ``ratio``.
        """
        word = text.strip().lower()
        chosen = measure or MEASURES[0]
        if word in ("auto", "mixture", "otsu"):
            return cls(word, chosen)
        if word == "background" or word.startswith("background:"):
            factor = word.partition(":")[2] or "2"
            if measure not in (None, "ratio"):
                raise ParameterError(f"the background rule thresholds the 'ratio' measure, not {measure!r}")
            return cls("background", "ratio", _number(factor, text))
        return cls("manual", chosen, _number(word, text))

    @property
    def is_automatic(self) -> bool:
        return self.method in AUTOMATIC

    def describe(self) -> str:
        """A short human-readable form for tables (``mixture on corrected``, ``mean >= 250``)."""
        if self.is_automatic:
            return f"{self.method} on {self.measure}"
        suffix = " (background)" if self.method == "background" else ""
        return f"{self.measure} >= {self.threshold:g}{suffix}"


@dataclass(frozen=True, eq=False)
class Positivity:
    """Which cells a rule calls positive, and how.

    ``threshold`` is in the measure's units (positive: value >= threshold),
    NaN when the cells were not split; ``flag`` is empty unless an automatic
    rule found no clear positive population (one population, too few cells,
    or overlapping groups, which are split);
    ``separation`` is the two groups' distance in SDs (NaN for hand rules).
    """

    positive: np.ndarray
    threshold: float
    measure: str
    flag: str = ""
    separation: float = math.nan

    @property
    def n_cells(self) -> int:
        return int(self.positive.size)

    @property
    def n_positive(self) -> int:
        return int(np.count_nonzero(self.positive))

    @property
    def n_negative(self) -> int:
        return self.n_cells - self.n_positive

    @property
    def percent_positive(self) -> float:
        """100 × positive / cells; NaN without cells."""
        return 100.0 * self.n_positive / self.n_cells if self.n_cells else math.nan


def apply_threshold(values: np.ndarray, threshold: float) -> np.ndarray:
    """Cells whose value is at least ``threshold`` (NaN values are negative).

    Examples
    --------
    >>> apply_threshold(np.array([1.0, 5.0, np.nan, 3.0]), 3.0)
    array([False,  True, False,  True])
    """
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values >= threshold)


def classify(columns: Mapping[str, np.ndarray], rule: PositivityRule) -> Positivity:
    """Apply ``rule`` to one marker's per-cell measures.

    Parameters
    ----------
    columns : mapping of str to 1-D array
        The marker's measures by name, as `measure_markers` returns them
        (``corrected``, ``ratio``, ...; at least the rule's measure, plus
        ``corrected`` and ``background_sd`` for automatic rules).
    rule : PositivityRule

    Returns
    -------
    Positivity

    Notes
    -----
    An automatic rule splits the cells only when all of these hold on the
    log scale of the measure (see `log_scale`): the two fitted groups lie at
    least ``min_separation`` SDs apart; two groups beat one by `MIN_BIC_GAIN`;
    each side of the threshold holds at least ``min_group`` cells; and the
    cells thin out between the groups (a kernel density at the threshold at
    most `MAX_VALLEY` of that at the smaller group's centre).  Groups that
    meet all but the last and still show no more cells at the threshold
    than at the smaller group's centre (`MAX_OVERLAP_VALLEY`: a plateau, not
    a tail) are split and flagged `FLAG_OVERLAP`.  Otherwise the result is
    flagged and not split.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> corrected = np.concatenate([rng.normal(5, 3, 40), rng.lognormal(6, 0.4, 20)])
    >>> columns = {"corrected": corrected, "background_sd": np.full(60, 10.0)}
    >>> result = classify(columns, PositivityRule("auto"))
    >>> result.n_positive, result.flag
    (20, '')
    >>> flat = classify({"corrected": corrected[:40], "background_sd": np.full(40, 10.0)}, PositivityRule())
    >>> flat.n_positive, flat.flag
    (0, 'one population: all negative')
    """
    values = _column(columns, rule.measure)
    if values.size == 0:
        return Positivity(np.zeros(0, dtype=bool), math.nan, rule.measure)
    if not rule.is_automatic:
        assert rule.threshold is not None
        return Positivity(apply_threshold(values, rule.threshold), float(rule.threshold), rule.measure)
    scale = log_scale(values, _cofactor(columns, rule.measure))
    finite = np.isfinite(values)
    logged = scale.forward(values[finite])
    split = _split(logged, rule, scale)
    if isinstance(split, str):
        return _one_population(columns, values.size, rule, split)
    threshold, separation, flag = split
    return Positivity(apply_threshold(values, threshold), threshold, rule.measure, flag, separation)


def _split(logged: np.ndarray, rule: PositivityRule, scale: LogScale) -> tuple[float, float, str] | str:
    """(threshold in the measure's units, separation, flag), or why the values are not split."""
    if logged.size < max(4, 2 * rule.min_group) or np.ptp(logged) == 0:
        return f"too few distinct cells ({logged.size}) for an automatic threshold"
    mixture = fit_mixture(logged)
    crossing = mixture.crossing()
    if not (mixture.separation >= rule.min_separation and mixture.bic_gain >= MIN_BIC_GAIN
            and math.isfinite(crossing)):
        return ""
    valley = _valley(logged, crossing, mixture.means, mixture.sd)
    if valley > MAX_OVERLAP_VALLEY:
        return ""
    cut = crossing if rule.method == "mixture" else otsu_split(logged)
    above = int(np.count_nonzero(logged >= cut))
    if min(above, logged.size - above) < rule.min_group:
        return ""
    return float(scale.inverse(cut)), mixture.separation, "" if valley <= MAX_VALLEY else FLAG_OVERLAP


def _valley(logged: np.ndarray, cut: float, means: tuple[float, float], sd: float) -> float:
    """Kernel density (bandwidth sd/2) at ``cut`` over the smaller of its values at the two means."""
    bandwidth = sd / 2.0
    density = [float(np.exp(-0.5 * ((x - logged) / bandwidth) ** 2).sum()) for x in (cut, *means)]
    peak = min(density[1:])
    return density[0] / peak if peak > 0 else math.inf


def _one_population(columns: Mapping[str, np.ndarray], n: int, rule: PositivityRule, why: str) -> Positivity:
    """All cells in one group, flagged: positive when they stand ``positive_snr`` background SDs out."""
    corrected = columns.get("corrected")
    noise = columns.get("background_sd")
    positive = False
    if corrected is not None and noise is not None and n:
        level, spread = np.nanmedian(np.asarray(corrected, float)), np.nanmedian(np.asarray(noise, float))
        positive = bool(np.isfinite(level) and np.isfinite(spread) and level >= rule.positive_snr * spread)
    outcome = FLAG_ALL_POSITIVE if positive else FLAG_ALL_NEGATIVE
    flag = f"{why}; {outcome.split(': ')[1]}" if why else outcome
    return Positivity(np.full(n, positive), math.nan, rule.measure, flag)


def _cofactor(columns: Mapping[str, np.ndarray], measure: str) -> float | None:
    """The background noise (median ring SD) for the ``corrected`` measure, else None."""
    if measure != "corrected" or "background_sd" not in columns:
        return None
    noise = np.asarray(columns["background_sd"], dtype=np.float64)
    noise = noise[np.isfinite(noise) & (noise > 0)]
    return float(np.median(noise)) if noise.size else None


def _column(columns: Mapping[str, np.ndarray], measure: str) -> np.ndarray:
    if measure not in columns:
        raise ParameterError(f"no {measure!r} values for this marker; have {', '.join(sorted(columns)) or 'none'}")
    return np.asarray(columns[measure], dtype=np.float64)


def _number(text: str, whole: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ParameterError(
            f"positivity rule must be auto, mixture, otsu, background[:K] or a number; got {whole!r}"
        ) from None


def _check_number(name: str, value: object, low: float, high: float, integer: bool = False) -> None:
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value) \
            or not low <= value <= high:
        span = "any finite number" if math.isinf(low) else f"between {low:g} and {high:g}"
        raise ParameterError(f"{name} must be {span}, got {value!r}")

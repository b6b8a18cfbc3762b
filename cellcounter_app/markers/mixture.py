"""Two-group statistics on 1-D per-cell values: a Gaussian mixture (EM) and Otsu's split.

The mixture's two components share one standard deviation.  With separate
ones, expectation–maximisation readily spends a component on one outlying
cell or on a narrow cluster inside a single population; a shared spread
keeps both components about a group of cells each, and makes the
separation between them a plain distance in standard deviations.
Plain numpy; a few hundred cells fit in about a millisecond.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError

_MAX_ITERATIONS = 300
_TOLERANCE = 1e-9
_MIN_SD_FRACTION = 1e-3  # smallest component SD, relative to the data's SD
_RESTARTS = 4


@dataclass(frozen=True)
class Mixture:
    """Two Gaussian components with one shared SD, the low-mean one first."""

    weights: tuple[float, float]
    means: tuple[float, float]
    sd: float
    log_likelihood: float
    n: int

    @property
    def separation(self) -> float:
        """Distance between the means in SDs (Ashman's D for equal spreads; above 2 the density has two peaks).

        Examples
        --------
        >>> Mixture((0.5, 0.5), (0.0, 3.0), 1.0, 0.0, 10).separation
        3.0
        """
        return (self.means[1] - self.means[0]) / self.sd

    @property
    def bic_gain(self) -> float:
        """How much better two components describe the data than one: BIC(1) − BIC(2).

        Above 10 is "very strong" evidence for two groups on the usual scale.
        """
        one = -0.5 * self.n * (1.0 + math.log(2.0 * math.pi * self.single_sd**2))
        return 2.0 * (self.log_likelihood - one) - 2.0 * math.log(self.n)

    @property
    def single_sd(self) -> float:
        """The SD of one Gaussian fitted to all the values."""
        (w1, w2), (m1, m2) = self.weights, self.means
        return math.sqrt(self.sd**2 + w1 * w2 * (m2 - m1) ** 2)

    def crossing(self) -> float:
        """The value where both weighted components are equally likely (between the means when it exists).

        Examples
        --------
        >>> Mixture((0.5, 0.5), (0.0, 4.0), 1.0, 0.0, 10).crossing()
        2.0
        """
        (w1, w2), (m1, m2) = self.weights, self.means
        if m2 <= m1:
            return math.nan
        return (m1 + m2) / 2.0 + self.sd**2 * math.log(w1 / w2) / (m2 - m1)


def fit_mixture(values: np.ndarray) -> Mixture:
    """Fit two Gaussians with a shared SD to 1-D values by expectation–maximisation.

    Parameters
    ----------
    values : 1-D array of float
        At least 4 finite values, not all equal.

    Returns
    -------
    Mixture
        The best of a few fits started from splits of the sorted values at
        evenly spread quantiles (highest likelihood).

    Raises
    ------
    ParameterError
        For fewer than 4 values, non-finite values, or values all equal.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, 300), rng.normal(6, 1, 100)])
    >>> m = fit_mixture(x)
    >>> [round(v) for v in m.means], [round(w, 1) for w in m.weights], round(m.sd)
    ([0, 6], [0.8, 0.2], 1)
    """
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if x.size < 4 or not np.all(np.isfinite(x)):
        raise ParameterError(f"a mixture needs at least 4 finite values, got {x.size} values")
    if x[0] == x[-1]:
        raise ParameterError(f"a mixture needs values that differ, got {x.size} values all equal to {x[0]:g}")
    floor = float(x.std()) * _MIN_SD_FRACTION
    best: Mixture | None = None
    for k in range(_RESTARTS):
        split = max(1, min(x.size - 1, int(round(x.size * (k + 1) / (_RESTARTS + 1)))))
        low, high = x[:split], x[split:]
        spread = math.sqrt((((low - low.mean()) ** 2).sum() + ((high - high.mean()) ** 2).sum()) / x.size)
        fit = _em(x, np.array([split / x.size, 1.0 - split / x.size]), np.array([low.mean(), high.mean()]),
                  max(spread, floor), floor)
        if best is None or fit.log_likelihood > best.log_likelihood:
            best = fit
    assert best is not None
    return best


def otsu_split(values: np.ndarray) -> float:
    """Otsu's threshold computed exactly on the values (no histogram bins).

    Every cut between two consecutive distinct sorted values is tried; the
    one maximising the between-group variance wins, and the threshold is the
    midpoint of that gap.  NaN when fewer than two distinct values.

    Examples
    --------
    >>> otsu_split(np.array([1.0, 1.2, 0.9, 5.0, 5.5, 4.8]))
    3.0
    """
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if x.size < 2 or x[0] == x[-1]:
        return math.nan
    n = x.size
    counts = np.arange(1, n)
    sums = np.cumsum(x)[:-1]
    mean_low = sums / counts
    mean_high = (float(x.sum()) - sums) / (n - counts)
    score = counts * (n - counts) * (mean_high - mean_low) ** 2
    score[x[1:] == x[:-1]] = -1.0  # no cut between equal values
    cut = int(np.argmax(score))
    return float((x[cut] + x[cut + 1]) / 2.0)


def _em(x: np.ndarray, weights: np.ndarray, means: np.ndarray, sd: float, floor: float) -> Mixture:
    previous = -math.inf
    for _ in range(_MAX_ITERATIONS):
        log_likelihood, resp = _expectation(x, weights, means, sd)
        mass = resp.sum(axis=1)
        if np.any(mass < 1e-9) or log_likelihood - previous <= _TOLERANCE * max(1.0, abs(log_likelihood)):
            break
        previous = log_likelihood
        weights = mass / x.size
        means = (resp @ x) / mass
        sd = max(math.sqrt(float((resp * (x[None, :] - means[:, None]) ** 2).sum()) / x.size), floor)
    log_likelihood, _ = _expectation(x, weights, means, sd)
    order = np.argsort(means)
    return Mixture((float(weights[order[0]]), float(weights[order[1]])),
                   (float(means[order[0]]), float(means[order[1]])), sd, log_likelihood, x.size)


def _expectation(x: np.ndarray, weights: np.ndarray, means: np.ndarray, sd: float) -> tuple[float, np.ndarray]:
    """Log-likelihood of the data and each component's responsibility for each value."""
    log_p = np.log(np.maximum(weights, 1e-300))[:, None] + _log_density(x[None, :], means[:, None], sd)
    top = log_p.max(axis=0)
    log_total = top + np.log(np.exp(log_p - top).sum(axis=0))
    return float(log_total.sum()), np.exp(log_p - log_total)


def _log_density(x: np.ndarray, mean: np.ndarray | float, sd: float) -> np.ndarray:
    return -0.5 * ((x - mean) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)

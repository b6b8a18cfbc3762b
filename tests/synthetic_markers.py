"""Generated two-channel images with a known positive subset (marker tests, window tests)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass
class MarkerImage:
    """``image`` (H, W, 2) uint16: channel 0 nuclei (DAPI), channel 1 the marker."""

    image: np.ndarray
    labels: np.ndarray
    positive_ids: set[int]

    def truth(self, ids: np.ndarray) -> np.ndarray:
        """Whether each of ``ids`` is a positive cell."""
        return np.isin(ids, sorted(self.positive_ids))


def make_marker_image(seed: int = 0, *, shape=(200, 260), spacing=26, positive_fraction=0.4,
                      bright=400.0, bright_sd=0.5, dim=15.0, dim_sd=0.6, gradient=300.0,
                      noise=12.0, offset=100.0) -> MarkerImage:
    """Nuclei of radius 5–8.5 px on a jittered grid (63 cells at the default size).

    Each cell is positive with probability ``positive_fraction``: its marker
    signal is ``bright`` × lognormal(``bright_sd``) (varied brightness), a
    negative's is ``dim`` × lognormal(``dim_sd``) (dim, not dark).  The
    marker channel sits on an uneven background (``offset`` plus a gradient
    rising by up to 1.5 × ``gradient`` towards the bottom right) with
    Gaussian noise; both channels are blurred by 1 px like an optical image.
    """
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    labels = np.zeros(shape, np.int32)
    nuclei = np.zeros(shape)
    signal = np.zeros(shape)
    positives: set[int] = set()
    cell = 0
    for r in range(spacing // 2 + 2, shape[0] - spacing // 2, spacing):
        for c in range(spacing // 2 + 2, shape[1] - spacing // 2, spacing):
            rr, cc = r + rng.integers(-3, 4), c + rng.integers(-3, 4)
            disc = (rows - rr) ** 2 + (cols - cc) ** 2 <= rng.uniform(5, 8.5) ** 2
            cell += 1
            labels[disc] = cell
            nuclei[disc] = rng.uniform(400, 1200)
            if rng.random() < positive_fraction:
                positives.add(cell)
                signal[disc] = bright * np.exp(rng.normal(0, bright_sd))
            else:
                signal[disc] = dim * np.exp(rng.normal(0, dim_sd))
    background = offset + gradient * (cols / shape[1]) * (0.5 + rows / shape[0])
    marker = ndimage.gaussian_filter(signal, 1.0) + background + rng.normal(0, noise, shape)
    dapi = ndimage.gaussian_filter(nuclei, 1.0) + offset + rng.normal(0, noise, shape)
    image = np.stack([dapi, marker], axis=-1).clip(0, 65535).astype(np.uint16)
    return MarkerImage(image, labels, positives)


def f1_score(predicted: np.ndarray, truth: np.ndarray) -> float:
    """F1 of a predicted positive set against the true one (1.0 when both are empty)."""
    tp = int(np.sum(predicted & truth))
    wrong = int(np.sum(predicted != truth))
    return 1.0 if tp == 0 and wrong == 0 else 2 * tp / (2 * tp + wrong)

"""Random augmentation of training crops: geometry, intensity and stain colour.

Geometry is applied identically to the image and its labels: flips and
quarter turns exactly, then one resampling for rotation, zoom and elastic
deformation together (bilinear for the image, nearest for the labels, so
label ids are never mixed; both mirror at the edges).  Intensity changes
(stain colour, blur, gamma/contrast/brightness, noise) touch the image only.

Acquisition changes (off unless asked for) imitate what differs between
microscopes and labs: a smooth uneven background (tissue autofluorescence,
uneven illumination), saturation of the brightest cells and photon (shot)
noise of a dim exposure.  The image is then normalised again as inference
normalises every image (percentiles 1 / 99.8), so the network sees such a
crop as it would see such an image.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from ..errors import ParameterError
from ..inference.normalize import normalize
from .data import NORMALIZATION
from .stains import STAIN_COLOURS, colourise, stain_weights

_PROBABILITIES = ("p_flip", "p_rotate", "p_scale", "p_elastic", "p_colour", "p_channel_shuffle", "p_blur",
                  "p_intensity", "p_noise", "p_background", "p_saturate", "p_shot_noise")
_RANGES = ("scale_range", "blur_sigma", "contrast", "gamma", "noise_std", "channel_noise", "crosstalk",
           "background_level", "background_scale", "saturate_at", "photons")


@dataclass(frozen=True)
class AugmentConfig:
    """Probabilities and ranges of the random augmentations.

    Each ``p_*`` is the probability (0-1) that a transform is applied to a
    crop; ranges are ``(low, high)`` drawn uniformly (the zoom log-uniformly).

    Attributes
    ----------
    p_flip : float
        Probability of each of the two flips (up-down, left-right).
    rot90 : bool
        Turn by a random multiple of 90 degrees (only 0 or 180 for non-square crops).
    p_rotate, max_angle : float
        Free rotation by up to ``max_angle`` degrees either way.
    p_scale, scale_range : float, (float, float)
        Zoom: objects grow by the factor (> 1) or shrink (< 1).
    p_elastic, elastic_alpha, elastic_sigma : float
        Smooth random displacement: typical shift ``elastic_alpha`` px,
        varying over ``elastic_sigma`` px.
    p_colour, colours, crosstalk, channel_noise : float, tuple of str, (float, float) each
        Three-channel input only: redraw the signal (maximum over channels) in
        a random stain colour of ``colours`` with random gains, a fraction in
        ``crosstalk`` of it bleeding into each unlit channel, add independent
        noise of std in ``channel_noise`` (relative to the signal's maximum)
        to every channel and renormalise each channel (percentiles 1/99.8) as
        inference does.
    p_channel_shuffle : float
        Three-channel input only: permute the channels.
    p_blur, blur_sigma : float, (float, float)
        Gaussian blur (px).
    p_intensity, brightness, contrast, gamma : float, (float, float) each
        ``x -> ((max(x, 0) ** gamma) - m) * contrast + m + brightness`` with
        ``m`` the image mean.
    p_noise, noise_std : float, (float, float)
        Additive Gaussian noise of that standard deviation.
    p_background, background_level, background_scale : float, (float, float) each
        Add a smooth random background (values 0-1 varying over
        ``background_scale`` px) times ``background_level`` times the crop's
        bright level (its 99.8th percentile).
    p_saturate, saturate_at : float, (float, float)
        Clip the crop at that fraction of its bright level (saturated cells).
    p_shot_noise, photons : float, (float, float)
        Photon noise: the bright level collects that many photons (drawn
        log-uniformly), every pixel a Poisson count in proportion.

    Examples
    --------
    >>> AugmentConfig.off().p_flip, AugmentConfig.off().rot90
    (0.0, False)
    >>> AugmentConfig(p_flip=2.0)
    Traceback (most recent call last):
    ...
    cellcounter_app.errors.ParameterError: p_flip must be a probability in [0, 1], got 2.0
    """

    p_flip: float = 0.5
    rot90: bool = True
    p_rotate: float = 0.5
    max_angle: float = 45.0
    p_scale: float = 0.5
    scale_range: tuple[float, float] = (0.7, 1.4)
    p_elastic: float = 0.3
    elastic_alpha: float = 3.0
    elastic_sigma: float = 24.0
    p_colour: float = 0.5
    colours: tuple[str, ...] = tuple(STAIN_COLOURS)
    crosstalk: tuple[float, float] = (0.0, 0.06)
    channel_noise: tuple[float, float] = (0.005, 0.04)
    p_channel_shuffle: float = 0.2
    p_blur: float = 0.2
    blur_sigma: tuple[float, float] = (0.4, 1.5)
    p_intensity: float = 0.8
    brightness: tuple[float, float] = (-0.1, 0.1)
    contrast: tuple[float, float] = (0.6, 1.4)
    gamma: tuple[float, float] = (0.7, 1.5)
    p_noise: float = 0.5
    noise_std: tuple[float, float] = (0.0, 0.06)
    p_background: float = 0.0
    background_level: tuple[float, float] = (0.05, 0.6)
    background_scale: tuple[float, float] = (16.0, 96.0)
    p_saturate: float = 0.0
    saturate_at: tuple[float, float] = (0.4, 0.95)
    p_shot_noise: float = 0.0
    photons: tuple[float, float] = (5.0, 500.0)

    def __post_init__(self) -> None:
        for name in _PROBABILITIES:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ParameterError(f"{name} must be a probability in [0, 1], got {value}")
        for name in _RANGES:
            lo, hi = getattr(self, name)
            if not 0.0 <= lo <= hi:
                raise ParameterError(f"{name} must be a range (low, high) with 0 <= low <= high, got {(lo, hi)}")
        lo, hi = self.brightness
        if not lo <= hi:
            raise ParameterError(f"brightness must be a range (low, high) with low <= high, got {(lo, hi)}")
        for name in ("scale_range", "contrast", "gamma", "background_scale", "saturate_at", "photons"):
            if getattr(self, name)[0] <= 0:
                raise ParameterError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0.0 <= self.max_angle <= 180.0:
            raise ParameterError(f"max_angle must be in [0, 180] degrees, got {self.max_angle}")
        if self.elastic_alpha < 0 or self.elastic_sigma < 1:
            raise ParameterError(f"elastic_alpha must be >= 0 and elastic_sigma >= 1 px, got "
                                 f"{self.elastic_alpha}, {self.elastic_sigma}")
        unknown = [c for c in self.colours if c not in STAIN_COLOURS]
        if unknown or not self.colours:
            raise ParameterError(f"colours must be a non-empty choice of {sorted(STAIN_COLOURS)}, got {self.colours}")

    @classmethod
    def off(cls) -> AugmentConfig:
        """A configuration that changes nothing (every probability 0, no quarter turns)."""
        return cls(**{name: 0.0 for name in _PROBABILITIES}, rot90=False)

    def replace(self, **changes: object) -> AugmentConfig:
        """A copy with some fields changed (checked again)."""
        return dataclasses.replace(self, **changes)


class Augmenter:
    """Draws random augmentations of (image, labels) pairs.

    Parameters
    ----------
    config : AugmentConfig
        What to apply and how strongly.
    seed : int, numpy.random.Generator or None
        Seed of the random draws; give each data-loading worker its own
        (see `reseed`).

    Examples
    --------
    >>> aug = Augmenter(AugmentConfig(), seed=0)
    >>> image, labels = aug(np.zeros((3, 32, 32), np.float32), np.zeros((32, 32), np.int32))
    >>> image.shape, labels.shape, image.dtype
    ((3, 32, 32), (32, 32), dtype('float32'))
    """

    def __init__(self, config: AugmentConfig = AugmentConfig(), seed: int | np.random.Generator | None = None):
        if not isinstance(config, AugmentConfig):
            raise ParameterError(f"config must be an AugmentConfig, got {type(config).__name__}")
        self.config = config
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    def reseed(self, seed: int | np.random.Generator | None) -> None:
        """Restart the random draws from ``seed``."""
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    def __call__(self, image: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Augment a ``(C, H, W)`` float image and its ``(H, W)`` integer labels.

        Returns new C-contiguous arrays: float32 ``(C, H', W')`` and labels of
        the input dtype ``(H', W')`` (``H', W'`` swapped only by a quarter turn
        of a non-square crop, which is never drawn).  Every output label id
        is an input label id.
        """
        image = np.asarray(image, dtype=np.float32)
        labels = np.asarray(labels)
        if image.ndim != 3 or labels.shape != image.shape[1:] or labels.dtype.kind not in "iu":
            raise ParameterError(f"need a (C, H, W) image and (H, W) integer labels, got {image.shape} "
                                 f"and {labels.dtype} {labels.shape}")
        image, labels = self._flip_turn(image, labels)
        image, labels = self._resample(image, labels)
        image = self._acquisition(image)
        image = self._intensity(image)
        return np.ascontiguousarray(image, dtype=np.float32), np.ascontiguousarray(labels)

    def _flip_turn(self, image: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cfg, rng = self.config, self.rng
        for axis in (0, 1):
            if rng.random() < cfg.p_flip:
                image, labels = np.flip(image, axis + 1), np.flip(labels, axis)
        if cfg.rot90:
            turns = int(rng.integers(4)) if labels.shape[0] == labels.shape[1] else 2 * int(rng.integers(2))
            image, labels = np.rot90(image, turns, axes=(1, 2)), np.rot90(labels, turns)
        return image, labels

    def _resample(self, image: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rotation, zoom and elastic deformation in one resampling of both arrays."""
        cfg, rng = self.config, self.rng
        inverse = np.eye(2)
        if rng.random() < cfg.p_rotate:
            angle = math.radians(rng.uniform(-cfg.max_angle, cfg.max_angle))
            inverse = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        if rng.random() < cfg.p_scale:
            lo, hi = cfg.scale_range
            inverse = inverse / math.exp(rng.uniform(math.log(lo), math.log(hi)))
        elastic = rng.random() < cfg.p_elastic and cfg.elastic_alpha > 0
        if np.allclose(inverse, np.eye(2)) and not elastic:
            return image, labels
        height, width = labels.shape
        centre = np.array([(height - 1) / 2.0, (width - 1) / 2.0]).reshape(2, 1, 1)
        grid = np.mgrid[:height, :width].astype(np.float32) - centre
        coords = np.einsum("ij,jhw->ihw", inverse, grid).astype(np.float32) + centre.astype(np.float32)
        if elastic:
            coords += displacement_field(labels.shape, cfg.elastic_alpha, cfg.elastic_sigma, rng)
        out = np.empty(image.shape, np.float32)
        for c in range(image.shape[0]):
            ndi.map_coordinates(image[c], coords, output=out[c], order=1, mode="mirror")
        new_labels = ndi.map_coordinates(labels, coords, output=labels.dtype, order=0, mode="mirror")
        return out, new_labels

    def _acquisition(self, image: np.ndarray) -> np.ndarray:
        """Uneven background, saturation and photon noise (see the module docstring), then renormalised."""
        cfg, rng = self.config, self.rng
        if not (cfg.p_background or cfg.p_saturate or cfg.p_shot_noise):
            return image  # no draw: crops augmented without these stay exactly as before they existed
        draws = rng.random(3) < (cfg.p_background, cfg.p_saturate, cfg.p_shot_noise)
        if not draws.any():
            return image
        bright = max(float(np.percentile(image, 99.8)), 1e-3)
        if draws[0]:
            field = background_field(image.shape[1:], rng.uniform(*cfg.background_scale), rng)
            image = image + field * (rng.uniform(*cfg.background_level) * bright)
        if draws[1]:
            image = np.minimum(image, rng.uniform(*cfg.saturate_at) * bright)
        if draws[2]:
            lo, hi = cfg.photons
            per_unit = math.exp(rng.uniform(math.log(lo), math.log(hi))) / bright
            image = rng.poisson(np.maximum(image, 0.0) * per_unit).astype(np.float32) / per_unit
        return normalize(image, NORMALIZATION, channel_axis=0)

    def _intensity(self, image: np.ndarray) -> np.ndarray:
        cfg, rng = self.config, self.rng
        if image.shape[0] == 3 and rng.random() < cfg.p_colour:
            image = self._recolour(image)
        if image.shape[0] > 1 and rng.random() < cfg.p_channel_shuffle:
            image = image[rng.permutation(image.shape[0])]
        if rng.random() < cfg.p_blur:
            sigma = rng.uniform(*cfg.blur_sigma)
            image = ndi.gaussian_filter(image, (0.0, sigma, sigma), mode="mirror")
        if rng.random() < cfg.p_intensity:
            gamma, contrast = rng.uniform(*cfg.gamma), rng.uniform(*cfg.contrast)
            image = np.power(np.maximum(image, 0.0), gamma, dtype=np.float32)
            mean = float(image.mean())
            image = (image - mean) * contrast + (mean + rng.uniform(*cfg.brightness))
        if rng.random() < cfg.p_noise:
            image = image + rng.normal(0.0, rng.uniform(*cfg.noise_std), image.shape).astype(np.float32)
        return image

    def _recolour(self, image: np.ndarray) -> np.ndarray:
        """The signal redrawn in a random stain colour, noisy per channel, renormalised per channel."""
        rng = self.rng
        colour = self.config.colours[int(rng.integers(len(self.config.colours)))]
        grey = np.clip(image.max(axis=0), 0.0, None)
        weights = stain_weights(colour, rng, crosstalk=self.config.crosstalk)
        rgb = colourise(grey / max(float(grey.max()), 1e-6), weights)
        rgb += rng.normal(0.0, rng.uniform(*self.config.channel_noise), rgb.shape).astype(np.float32)
        return normalize(rgb, NORMALIZATION, channel_axis=0)


def background_field(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth random field ``(H, W)`` in [0, 1] (float32) that varies over about ``scale`` px.

    Examples
    --------
    >>> field = background_field((64, 48), 16.0, np.random.default_rng(0))
    >>> field.shape, float(field.min()), float(field.max())
    ((64, 48), 0.0, 1.0)
    """
    height, width = shape
    coarse = (max(2, math.ceil(height / scale) + 1), max(2, math.ceil(width / scale) + 1))
    field = np.empty((height, width), np.float32)
    ndi.zoom(rng.random(coarse), (height / coarse[0], width / coarse[1]), output=field, order=3, mode="nearest",
             grid_mode=True)
    field -= field.min()
    field /= max(float(field.max()), 1e-6)
    return field


def displacement_field(shape: tuple[int, int], alpha: float, sigma: float,
                       rng: np.random.Generator) -> np.ndarray:
    """Smooth random displacements ``(2, H, W)`` (float32, px) for elastic deformation.

    Random shifts of standard deviation ``alpha`` on a grid of spacing
    ``sigma`` px, interpolated by cubic splines.

    Examples
    --------
    >>> field = displacement_field((64, 48), 3.0, 16.0, np.random.default_rng(0))
    >>> field.shape, bool(np.abs(field).max() < 20)
    ((2, 64, 48), True)
    """
    height, width = shape
    coarse = (max(2, math.ceil(height / sigma) + 1), max(2, math.ceil(width / sigma) + 1))
    field = np.empty((2, height, width), np.float32)
    for axis in range(2):
        knots = rng.normal(0.0, alpha, coarse)
        ndi.zoom(knots, (height / coarse[0], width / coarse[1]), output=field[axis], order=3, mode="nearest",
                 grid_mode=True)
    return field

"""Run a network over a large image tile by tile, with blended seams.

Tiles overlap; across the central half of each overlap the two neighbours are
cross-faded with a raised-cosine ramp, and the outer quarters (where a tile's
own border distorts its output) get no weight at all.  The weights of all
tiles sum to exactly one at every pixel, so the output is accumulated in
place: memory is the output (float32, or float16 for very large images: see
`cellcounter_app.inference.maps`) plus a few tile-sized buffers, whatever the
image size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import ModelError, ParameterError
from .maps import map_dtype
from .predictor import CancelCallback, CancelledError, TileCallback


@dataclass(frozen=True, eq=False)
class Span:
    """One tile along one axis: image ``[start, stop)`` fed as ``size`` pixels."""

    start: int
    stop: int
    size: int
    weight: np.ndarray
    """float32 blending weight of each of the ``stop - start`` image pixels."""


def plan_axis(length: int, tile: int, overlap: int, multiple: int) -> list[Span]:
    """Tiles covering ``length`` pixels along one axis.

    An axis no longer than ``tile`` is one tile, padded up to a multiple of
    ``multiple``.  A longer axis gets the fewest tiles of at most ``tile``
    pixels that overlap by at least ``overlap``; they are shrunk to the
    smallest multiple of ``multiple`` that still covers the axis (less wasted
    work) and spread evenly from edge to edge, so none is padded.  ``tile``
    must already be a multiple of ``multiple``.

    Examples
    --------
    >>> [(s.start, s.stop, s.size) for s in plan_axis(1000, 512, 64, 16)]
    [(0, 384, 384), (308, 692, 384), (616, 1000, 384)]
    >>> [(s.start, s.stop, s.size) for s in plan_axis(50, 512, 64, 16)]
    [(0, 50, 64)]
    """
    if length <= tile:
        return [Span(0, length, -(-length // multiple) * multiple, np.ones(length, dtype=np.float32))]
    count = 1 + math.ceil((length - tile) / (tile - overlap))
    tile = math.ceil((length + (count - 1) * overlap) / count / multiple) * multiple
    starts = [round(i * (length - tile) / (count - 1)) for i in range(count)]
    cuts = [(starts[i + 1] + starts[i] + tile) / 2 for i in range(count - 1)]
    ramp = overlap / 2
    centres = np.arange(length, dtype=np.float64) + 0.5
    spans = []
    for i, start in enumerate(starts):
        x = centres[start:start + tile]
        weight = np.ones(tile, dtype=np.float64)
        if i > 0:
            weight *= _rise(x, cuts[i - 1], ramp)
        if i < count - 1:
            weight *= 1.0 - _rise(x, cuts[i], ramp)
        spans.append(Span(start, start + tile, tile, weight.astype(np.float32)))
    return spans


def predict_tiled(
    run: Callable[[np.ndarray], np.ndarray],
    image_chw: np.ndarray,
    *,
    tile: int,
    overlap: int,
    multiple: int,
    prepare: Callable[[np.ndarray], np.ndarray] | None = None,
    on_tile: TileCallback | None = None,
    cancel: CancelCallback | None = None,
) -> np.ndarray:
    """Apply ``run`` to overlapping tiles of ``image_chw`` and blend the results.

    Parameters
    ----------
    run : callable
        Maps a float32 tile ``(C, h, w)`` (``h``, ``w`` multiples of
        ``multiple``) to its ``(h, w)`` output.
    image_chw : ndarray
        Channels-first ``(C, H, W)`` image, any dtype; it is only sliced, never
        copied whole.
    tile : int
        Largest tile side in pixels; rounded down to a multiple of ``multiple``.
    overlap : int
        Least overlap between neighbouring tiles, ``0 <= overlap < tile / 2``.
    multiple : int
        Tile sides fed to ``run`` are multiples of this (>= 1).  Tiles at the
        size of a small image are reflect-padded up to it.
    prepare : callable, optional
        Maps each raw tile ``(C, h, w)`` to float32 input (e.g. normalisation
        with the whole image's statistics); default: conversion to float32.
    on_tile : callable, optional
        ``on_tile(done, total)`` after each tile.
    cancel : callable, optional
        Polled before each tile; `CancelledError` when it returns True.

    Returns
    -------
    ndarray
        ``(H, W)``, float32 (float16 above `HALF_MAP_PIXELS`: `map_dtype`).

    Examples
    --------
    >>> image = np.arange(3 * 40 * 50, dtype=np.float32).reshape(3, 40, 50)
    >>> out = predict_tiled(lambda t: t.mean(axis=0), image, tile=32, overlap=8, multiple=8)
    >>> bool(np.allclose(out, image.mean(axis=0)))
    True
    """
    tile, overlap, multiple = _check_geometry(tile, overlap, multiple)
    if image_chw.ndim != 3 or 0 in image_chw.shape:
        raise ParameterError(f"image_chw must be a non-empty (C, H, W) array, got shape {image_chw.shape}")
    rows = plan_axis(image_chw.shape[1], tile, overlap, multiple)
    cols = plan_axis(image_chw.shape[2], tile, overlap, multiple)
    total = len(rows) * len(cols)
    out = np.zeros(image_chw.shape[1:], dtype=map_dtype(image_chw.shape[1:]))
    done = 0
    for row in rows:
        for col in cols:
            if cancel is not None and cancel():
                raise CancelledError(f"prediction cancelled after {done} of {total} tiles")
            block = image_chw[:, row.start:row.stop, col.start:col.stop]
            data = np.asarray(prepare(block) if prepare is not None else block, dtype=np.float32)
            grow = (row.size - data.shape[1], col.size - data.shape[2])
            if grow != (0, 0):
                data = np.pad(data, ((0, 0), (0, grow[0]), (0, grow[1])), mode="reflect")
            result = np.asarray(run(data))
            if result.shape != (row.size, col.size):
                raise ModelError(
                    f"the network returned shape {result.shape} for a {row.size}x{col.size} tile;"
                    f" expected ({row.size}, {col.size})"
                )
            height, width = row.stop - row.start, col.stop - col.start
            weight = row.weight[:, np.newaxis] * col.weight[np.newaxis, :]
            out[row.start:row.stop, col.start:col.stop] += result[:height, :width].astype(np.float32) * weight
            done += 1
            if on_tile is not None:
                on_tile(done, total)
    return out


def _rise(x: np.ndarray, cut: float, width: float) -> np.ndarray:
    """Raised-cosine step from 0 to 1 across ``[cut - width/2, cut + width/2]``."""
    if width <= 0:
        return (x >= cut).astype(np.float64)
    t = np.clip((x - (cut - width / 2)) / width, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * t)


def _check_geometry(tile: int, overlap: int, multiple: int) -> tuple[int, int, int]:
    for name, value in (("tile", tile), ("overlap", overlap), ("multiple", multiple)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ParameterError(f"{name} must be an integer, got {value!r}")
    if multiple < 1:
        raise ParameterError(f"multiple must be >= 1, got {multiple}")
    if tile < multiple:
        raise ParameterError(f"tile must be at least multiple ({multiple}), got {tile}")
    tile = tile // multiple * multiple
    if not 0 <= overlap < tile / 2:
        raise ParameterError(f"overlap must be in [0, {tile / 2:g}) for a {tile}-px tile, got {overlap}")
    return int(tile), int(overlap), int(multiple)

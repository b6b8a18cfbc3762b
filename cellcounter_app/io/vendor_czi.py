"""Zeiss CZI files through ``pylibCZIrw`` (LGPL-3): scenes and frames are images.

Mosaic tiles are stitched by the reader (each plane is read over the
scene's bounding rectangle).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pylibCZIrw import czi as pyczi

from ..errors import ImageReadError
from .vendor import as_decoded, layout_of, metres_to_um, pick


def layout(path: Path) -> list[dict[str, int]]:
    with pyczi.open_czi(str(path)) as file:
        frames = _count(file.total_bounding_box, "T")
        return layout_of(("scene", max(1, len(file.scenes_bounding_rectangle))), frames)


def decode(path: Path, parts: dict[str, int]):
    with pyczi.open_czi(str(path)) as file:
        box = file.total_bounding_box
        scenes = len(file.scenes_bounding_rectangle)
        scene = pick(path, parts, "scene", max(1, scenes)) if scenes else None
        frame = pick(path, parts, "frame", _count(box, "T"))
        z_count, c_count = _count(box, "Z"), _count(box, "C")
        types = file.pixel_types
        rgb = any(str(t).startswith("Bgr") for t in types.values())
        if rgb and c_count > 1:
            raise ImageReadError(path, "unsupported layout: several colour (BGR) channels")
        planes = [[file.read(plane={"T": frame, "Z": z, "C": c}, scene=scene) for c in range(c_count)]
                  for z in range(z_count)]
        data = np.asarray(planes)  # Z, C, Y, X, S
        metadata = file.metadata["ImageDocument"]["Metadata"]
    if rgb:
        data, axes = data[:, 0, ..., ::-1], "ZYXS"
    else:
        data, axes = data[..., 0], "ZCYX"
    return as_decoded(np.ascontiguousarray(data), axes, () if rgb else _names(metadata, c_count),
                      _pixel_size(metadata), ("".join(k for k in box if k not in "XY") + "YX",
                                              tuple(b[1] for k, b in box.items() if k not in "XY")
                                              + data.shape[2:4]), is_rgb=rgb)


def _count(box: dict, axis: str) -> int:
    start, end = box.get(axis, (0, 1))
    return max(1, end - start)


def _names(metadata: dict, count: int) -> tuple[str, ...]:
    try:
        channels = metadata["Information"]["Image"]["Dimensions"]["Channels"]["Channel"]
    except (KeyError, TypeError):
        return ()
    channels = channels if isinstance(channels, list) else [channels]
    names = tuple(str(ch.get("@Name") or ch.get("Fluor") or "") for ch in channels)
    return names if len(names) == count else ()


def _pixel_size(metadata: dict) -> float | None:
    """X of ``Scaling/Items/Distance`` (metres); None when the file has no calibration."""
    try:
        distances = metadata["Scaling"]["Items"]["Distance"]
    except (KeyError, TypeError):
        return None
    distances = distances if isinstance(distances, list) else [distances]
    x = next((d.get("Value") for d in distances if d.get("@Id") == "X"), None)
    return metres_to_um(float(x)) if x else None

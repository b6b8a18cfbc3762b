"""Leica LIF files through ``liffile`` (BSD-3): series and frames are images.

Tile scans (axis ``M``) are refused; spectral axes (λ, Λ) become channels
named by their wavelength.
"""

from __future__ import annotations

from pathlib import Path

import liffile
import numpy as np

from ..errors import ImageReadError
from .vendor import as_decoded, metres_to_um, pick

_SPECTRAL = {"λ": "λem", "Λ": "λex"}


def layout(path: Path) -> list[dict[str, int]]:
    with liffile.LifFile(path) as lif:
        images = list(lif.images)
        many = len(images) > 1
        frames = [image.sizes.get("T", 1) for image in images]
        return [{**({"series": i} if many else {}), **({"frame": t} if count > 1 else {})}
                for i, count in enumerate(frames) for t in range(count)]


def decode(path: Path, parts: dict[str, int]):
    with liffile.LifFile(path) as lif:
        images = list(lif.images)
        image = images[pick(path, parts, "series", len(images))]
        sizes = dict(image.sizes)
        if sizes.get("M", 1) > 1:
            raise ImageReadError(path, f"unsupported layout: a tile scan of {sizes['M']} tiles (mosaic);"
                                       " CellCounter does not stitch LIF tiles: merge them in LAS X first")
        data = image.asarray()
        coords = image.coords
        names = _channel_names(image, sizes, coords)
        x = coords.get("X")
        size = metres_to_um(abs(float(x[1] - x[0]))) if x is not None and len(x) > 1 else None
    axes = "".join(sizes)
    index = tuple(pick(path, parts, "frame", n) if a == "T" else 0 if a == "M" else slice(None)
                  for a, n in sizes.items())
    data = data[index]
    kept = "".join("C" if a in _SPECTRAL else a for a in axes if a not in "TM")
    return as_decoded(np.ascontiguousarray(data), kept, names, size, (axes, tuple(sizes.values())))


def _channel_names(image, sizes: dict, coords: dict) -> tuple[str, ...]:
    for axis, label in _SPECTRAL.items():
        if axis in sizes and axis in coords:
            return tuple(f"{label} {value * 1e9:.0f} nm" for value in coords[axis])
    if "C" not in sizes:
        return ()
    luts = [el.get("LUTName", "") for el in image.xml_element.iter("ChannelDescription")]
    return tuple(luts) if len(luts) == sizes["C"] else ()

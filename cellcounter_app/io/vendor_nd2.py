"""Nikon ND2 files through ``nd2`` (BSD-3): positions and frames are images.

2-D files report a Z step of 1 µm that is a default; only X is used here.
"""

from __future__ import annotations

from pathlib import Path

import nd2

from .vendor import as_decoded, layout_of, materialise, pick

_AXES = {"T": "T", "P": "P", "Z": "Z", "C": "C", "Y": "Y", "X": "X", "S": "S"}


def layout(path: Path) -> list[dict[str, int]]:
    with nd2.ND2File(path) as file:
        return layout_of(("position", file.sizes.get("P", 1)), file.sizes.get("T", 1))


def decode(path: Path, parts: dict[str, int]):
    with nd2.ND2File(path) as file:
        sizes = dict(file.sizes)
        axes = "".join(sizes)
        unknown = [a for a in axes if a not in _AXES]
        data = file.to_dask()
        index = []
        for axis, count in sizes.items():
            if axis == "P":
                index.append(pick(path, parts, "position", count))
            elif axis == "T":
                index.append(pick(path, parts, "frame", count))
            else:
                index.append(slice(None))
        data = materialise(data[tuple(index)])
        kept = "".join(a for a in axes if a not in "PT")
        names = tuple(ch.channel.name for ch in (file.metadata.channels or []))
        size = file.voxel_size().x if file.voxel_size() else None
        if unknown:
            kept = "".join("Q" if a in unknown else a for a in kept)
        return as_decoded(data, kept, names, float(size) if size and size > 0 else None,
                          (axes, tuple(sizes.values())), is_rgb=bool(file.is_rgb))

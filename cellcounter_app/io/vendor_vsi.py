"""Olympus/Evident cellSens VSI files (with their ETS folder) through ``bioio-vsi`` (BSD-3)."""

from __future__ import annotations

from pathlib import Path

from bioio_vsi import Reader

from .vendor import as_decoded, layout_of, materialise, pick


def layout(path: Path) -> list[dict[str, int]]:
    reader = Reader(str(path))
    return layout_of(("scene", len(reader.scenes)), reader.dims.T)


def decode(path: Path, parts: dict[str, int]):
    reader = Reader(str(path))
    reader.set_scene(pick(path, parts, "scene", len(reader.scenes)))
    frame = pick(path, parts, "frame", reader.dims.T)
    data = materialise(reader.get_image_dask_data("ZCYX", T=frame))
    size = reader.physical_pixel_sizes.X
    return as_decoded(data, "ZCYX", tuple(str(n) for n in reader.channel_names),
                      float(size) if size else None, ("TCZYX", tuple(reader.dims.shape)))

"""OME-Zarr (NGFF 0.4 on Zarr v2, 0.5 on Zarr v3) through ``zarr`` (MIT).

The first dataset of the first multiscale is the full-resolution level; it is
opened as a lazy dask array, so only the planes selected are read.
"""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import zarr

from ..errors import ImageReadError
from .calibration import pixel_size_from_length
from .vendor import as_decoded, pick

_AXES = {"t": "T", "c": "C", "z": "Z", "y": "Y", "x": "X"}


def layout(path: Path) -> list[dict[str, int]]:
    axes, array, _ = _level(path)
    frames = array.shape[axes.index("T")] if "T" in axes else 1
    return [{"frame": t} for t in range(frames)] if frames > 1 else [{}]


def decode(path: Path, parts: dict[str, int]):
    axes, array, attrs = _level(path)
    data = da.from_zarr(array)
    if "T" in axes:
        t = axes.index("T")
        data = data[(slice(None),) * t + (pick(path, parts, "frame", array.shape[t]),)]
    kept = axes.replace("T", "")
    channels = attrs.get("omero", {}).get("channels", [])
    names = tuple(str(ch.get("label", "")) for ch in channels)
    return as_decoded(data, kept, names, _pixel_size(attrs), (axes, tuple(array.shape)))


def _level(path: Path):
    group = zarr.open_group(str(path), mode="r")
    attrs = dict(group.attrs)
    attrs = attrs.get("ome", attrs)
    try:
        multiscale = attrs["multiscales"][0]
        dataset = multiscale["datasets"][0]
        axes = "".join(_AXES[a["name"].lower() if isinstance(a, dict) else a.lower()]
                       for a in multiscale["axes"])
    except (KeyError, IndexError, TypeError) as exc:
        raise ImageReadError(path, f"not an OME-Zarr image (no usable 'multiscales' metadata: {exc})") from exc
    array = group[dataset["path"]]
    attrs["_scale"] = next((t["scale"] for t in dataset.get("coordinateTransformations", [])
                            if t.get("type") == "scale"), None)
    attrs["_unit"] = next((a.get("unit", "") for a in multiscale["axes"]
                           if isinstance(a, dict) and a.get("name", "").lower() == "x"), "")
    attrs["_x"] = axes.index("X")
    return axes, array, attrs


def _pixel_size(attrs: dict) -> float | None:
    scale, unit = attrs.get("_scale"), attrs.get("_unit")
    if not scale or not unit:
        return None
    return pixel_size_from_length(str(scale[attrs["_x"]]), unit)

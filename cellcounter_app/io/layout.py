"""From a decoded N-D array and its axes to a 2-D or channels-last image.

The decoders (`tiff`, `raster`) return a `Decoded` array whose axes are named
with tifffile's letters; `arrange` applies the `ReadOptions` to it:

- axes of length 1 (other than Y and X) are dropped;
- ``C`` (channels) and ``S`` (samples of a colour pixel) are the channel
  axis; both longer than 1 is an unsupported layout;
- ``Z`` are planes; a stack of pages of unknown meaning (``I``, ``Q``) is
  read as Z planes too;
- ``T`` with more than one time point, or any other axis longer than 1, is
  an unsupported layout.

Selections are views of the decoded array; only maximum projections compute
a new (smaller) array.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ImageReadError
from .options import MAX, ReadOptions

_STACK_AXES = "IQ"
_CHANNEL_AXES = "CS"
_AXIS_NAMES = {"T": "time points", "Z": "Z planes"}


@dataclass(frozen=True, eq=False)
class Decoded:
    """A decoder's output: pixels and metadata, before any selection."""

    data: np.ndarray
    axes: str
    source_axes: str
    source_shape: tuple[int, ...]
    channel_names: tuple[str, ...] = ()
    pixel_size_um: float | None = None
    pixel_height_um: float | None = None
    """Pixel height in µm where the file says (`LoadedImage` notes non-square pixels)."""
    bits_per_sample: int | None = None
    is_rgb: bool = False
    notes: tuple[str, ...] = ()
    """What the reader skipped or did not trust (`LoadedImage.notes`)."""


def arrange(path: Path, decoded: Decoded, options: ReadOptions) -> tuple[np.ndarray, tuple[str, ...]]:
    """The ``(H, W)`` or ``(H, W, C)`` image that ``options`` select, and its channel names.

    Raises
    ------
    ImageReadError
        For an unsupported layout, or a channel or Z plane that does not exist.
    """
    data, axes = decoded.data, decoded.axes
    keep = [i for i, axis in enumerate(axes) if axis in "YX" or data.shape[i] > 1]
    data = data[tuple(slice(None) if i in keep else 0 for i in range(data.ndim))]
    axes = "".join(axes[i] for i in keep)
    axes = _name_axes(path, axes, data.shape, decoded)
    count = data.shape[axes.index("C")] if "C" in axes else 1
    names = _names(decoded, count)

    data, axes, names, channel_max = _select_channel(path, data, axes, names, options.channel)
    data, axes, z_max = _select_plane(path, data, axes, options.z)
    reduce = tuple(axes.index(a) for a, wanted in (("Z", z_max), ("C", channel_max)) if wanted)
    if reduce:
        data = _maximum(data, reduce)
        axes = "".join(a for i, a in enumerate(axes) if i not in reduce)
    order = [axes.index(a) for a in "YXC" if a in axes]
    return np.transpose(data, order), names


def _name_axes(path: Path, axes: str, shape: tuple[int, ...], decoded: Decoded) -> str:
    """``axes`` with S renamed C and page stacks renamed Z; raises for the unsupported ones."""
    where = f"(axes {decoded.source_axes!r}, shape {decoded.source_shape})"
    if "Y" not in axes or "X" not in axes:
        raise ImageReadError(path, f"unsupported layout: no Y and X axes {where}")
    if sum(a in _CHANNEL_AXES for a in axes) > 1:
        raise ImageReadError(path, f"unsupported layout: both channels and colour samples {where}")
    if "Z" not in axes and sum(a in _STACK_AXES for a in axes) == 1:
        axes = "".join("Z" if a in _STACK_AXES else a for a in axes)
    for axis, size in zip(axes, shape):
        if axis not in "YXZCS":
            what = _AXIS_NAMES.get(axis, f"entries along axis {axis!r}")
            raise ImageReadError(path, f"unsupported layout: {size} {what} {where};"
                                       " CellCounter reads single 2-D images, channels and Z-stacks")
    return axes.replace("S", "C")


def _names(decoded: Decoded, count: int) -> tuple[str, ...]:
    if len(decoded.channel_names) == count:
        return decoded.channel_names
    return ("",) * count


def _select_channel(
    path: Path, data: np.ndarray, axes: str, names: tuple[str, ...], channel: int | str | None
) -> tuple[np.ndarray, str, tuple[str, ...], bool]:
    """Apply the channel option: (data, axes, names, whether a max over C is still to take)."""
    if channel is None:
        return data, axes, names, False
    if channel == MAX:
        return data, axes, (MAX,) if len(names) > 1 else names, len(names) > 1
    index = channel if isinstance(channel, int) else _channel_index(path, names, channel)
    if index >= len(names):
        raise ImageReadError(path, f"channel {index} does not exist: the image has {_describe(names)}")
    if "C" not in axes:
        return data, axes, names, False
    c = axes.index("C")
    picked = data[(slice(None),) * c + (index,)]
    return picked, axes.replace("C", ""), (names[index],), False


def _channel_index(path: Path, names: tuple[str, ...], name: str) -> int:
    """Index of the channel called ``name``: an exact match first, then ignoring case."""
    if name in names:
        return names.index(name)
    folded = [n.casefold() for n in names]
    if name.casefold() in folded:
        return folded.index(name.casefold())
    raise ImageReadError(path, f"no channel named {name!r}: the image has {_describe(names)}")


def _describe(names: tuple[str, ...]) -> str:
    """``'2 channels: 0 'DAPI', 1 'GFP''`` or ``'1 channel (index 0), without names'``."""
    count = len(names)
    noun = "channel" if count == 1 else "channels"
    if not any(names):
        indices = "index 0" if count == 1 else f"indices 0–{count - 1}"
        return f"{count} {noun} ({indices}), without names"
    return f"{count} {noun}: " + ", ".join(f"{i} {n!r}" for i, n in enumerate(names))


def _select_plane(path: Path, data: np.ndarray, axes: str, z: int | str) -> tuple[np.ndarray, str, bool]:
    """Apply the z option: (data, axes, whether a max over Z is still to take)."""
    planes = data.shape[axes.index("Z")] if "Z" in axes else 1
    if not isinstance(z, int):  # MAX
        return data, axes, "Z" in axes
    if z >= planes:
        valid = "0" if planes == 1 else f"0–{planes - 1}"
        noun = "plane" if planes == 1 else "planes"
        raise ImageReadError(path, f"Z plane {z} does not exist: the image has {planes} {noun} ({valid})")
    if "Z" not in axes:
        return data, axes, False
    k = axes.index("Z")
    return data[(slice(None),) * k + (z,)], axes.replace("Z", ""), False


def _maximum(data: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Maximum over ``axes``; for floats NaN is ignored where other values exist."""
    if data.dtype.kind == "f":
        result = data
        for axis in sorted(axes, reverse=True):
            result = np.fmax.reduce(result, axis=axis)
        return result
    return data.max(axis=axes)

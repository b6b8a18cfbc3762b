"""What to read from a multichannel or Z-stack image: the reading options."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError

MAX = "max"
"""The option value meaning "maximum over that axis" (channels or Z planes)."""


@dataclass(frozen=True)
class ReadOptions:
    """Which channel and which Z plane `read_image` returns.

    Parameters
    ----------
    channel : int, str or None
        ``None`` keeps every channel (the image comes back channels-last);
        an ``int`` >= 0 picks that channel (0 = first); ``"max"`` takes the
        maximum over the channels; any other string picks the channel of that
        name, as stored in OME or ImageJ metadata (``"red"``, ``"green"`` and
        ``"blue"`` for RGB images).  Names are matched exactly first, then
        ignoring case.
    z : int or str
        ``"max"`` (default) takes the maximum-intensity projection of a
        Z-stack; an ``int`` >= 0 picks that plane.  Images without Z planes
        accept ``"max"`` and ``0``.

    Raises
    ------
    ParameterError
        When a value is of the wrong type or negative.

    Examples
    --------
    >>> ReadOptions(channel="DAPI", z=2).channel
    'DAPI'
    >>> ReadOptions(z="MAX").z
    'max'
    >>> ReadOptions(z=-1)
    Traceback (most recent call last):
    ...
    cellcounter_app.errors.ParameterError: z must be 'max' or a plane index >= 0, got -1
    """

    channel: int | str | None = None
    z: int | str = MAX

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel", _check_channel(self.channel))
        object.__setattr__(self, "z", _check_z(self.z))


def _as_index(value: object) -> int | None:
    """``value`` as a Python int when it is an integer (bools excluded), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        return None
    return int(value)


def _check_channel(value: object) -> int | str | None:
    if value is None:
        return None
    index = _as_index(value)
    if index is not None and index >= 0:
        return index
    if isinstance(value, str) and value.strip():
        name = value.strip()
        return MAX if name.lower() == MAX else name
    raise ParameterError(
        f"channel must be None (all channels), an index >= 0, 'max' or a channel name, got {value!r}"
    )


def _check_z(value: object) -> int | str:
    index = _as_index(value)
    if index is not None and index >= 0:
        return index
    if isinstance(value, str) and value.strip().lower() == MAX:
        return MAX
    raise ParameterError(f"z must be 'max' or a plane index >= 0, got {value!r}")

"""Pick one channel of a loaded multichannel image: the detection channel or a marker's."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import ImageReadError, ParameterError
from ..io import LoadedImage

MAX = "max"


def check_channel(value: object, what: str = "channel") -> int | str:
    """A channel choice as given on the command line: an index >= 0, ``max`` or a name.

    Examples
    --------
    >>> check_channel("1"), check_channel("DAPI"), check_channel(" MAX ")
    (1, 'DAPI', 'max')
    >>> check_channel(-1)
    Traceback (most recent call last):
    ...
    cellcounter_app.errors.ParameterError: channel must be an index >= 0, 'max' or a channel name, got -1
    """
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip() and not value.strip().lstrip("-").isdigit():
        name = value.strip()
        return MAX if name.lower() == MAX else name
    raise ParameterError(f"{what} must be an index >= 0, 'max' or a channel name, got {value!r}")


def channel_plane(image: LoadedImage, channel: int | str) -> np.ndarray:
    """The ``(H, W)`` plane of ``channel`` in ``image``: by index, by name (exact, then ignoring case) or ``max``.

    Raises
    ------
    ImageReadError
        When the image has no such channel; the message lists the channels it has.

    Examples
    --------
    >>> from pathlib import Path
    >>> img = LoadedImage(Path("a.tif"), np.arange(12).reshape(2, 3, 2), ("DAPI", "Cy3"), None, 8, "YXC",
    ...                   (2, 3, 2), False)
    >>> channel_plane(img, "cy3").tolist()
    [[1, 3, 5], [7, 9, 11]]
    >>> channel_plane(img, 2)
    Traceback (most recent call last):
    ...
    cellcounter_app.errors.ImageReadError: a.tif: channel 2 does not exist: the image has 2 channels: 0 'DAPI', 1 'Cy3'
    """
    data, names = image.data, image.channel_names
    if data.ndim == 2:
        if channel in (0, MAX) or (isinstance(channel, str) and names and channel.casefold() == names[0].casefold()):
            return data
        raise ImageReadError(image.path, f"channel {channel!r} does not exist: the image has {describe_channels(names, 1)}")
    if channel == MAX:
        return np.maximum.reduce([data[..., c] for c in range(data.shape[2])])
    index = channel if isinstance(channel, int) else _index(image, channel)
    if index >= data.shape[2]:
        raise ImageReadError(image.path, f"channel {index} does not exist: the image has "
                                         f"{describe_channels(names, data.shape[2])}")
    return data[..., index]


def has_channel(image: LoadedImage, channel: int | str) -> bool:
    """Whether `channel_plane` finds ``channel`` in ``image`` (``max`` is in every image).

    Examples
    --------
    >>> from pathlib import Path
    >>> grey = LoadedImage(Path("a.tif"), np.zeros((2, 3)), ("",), None, 8, "YX", (2, 3), False)
    >>> has_channel(grey, 0), has_channel(grey, 1), has_channel(grey, "max"), has_channel(grey, "Cy3")
    (True, False, True, False)
    """
    if channel == MAX:
        return True
    names = [name.casefold() for name in image.channel_names if name]
    count = 1 if image.data.ndim == 2 else image.data.shape[2]
    if isinstance(channel, int):
        return channel < count
    return channel.casefold() in names[:count]


def detection_image(image: LoadedImage, channel: int | str | None) -> LoadedImage:
    """``image`` reduced to its detection channel (unchanged when ``channel`` is None)."""
    if channel is None:
        return image
    plane = channel_plane(image, channel)
    if plane is image.data:
        return image
    index = channel if isinstance(channel, int) else None
    name = MAX if channel == MAX else image.channel_names[index if index is not None else _index(image, channel)]
    data = np.ascontiguousarray(plane)
    data.flags.writeable = False
    return dataclasses.replace(image, data=data, channel_names=(name,))


def _index(image: LoadedImage, name: str) -> int:
    names = image.channel_names
    if name in names:
        return names.index(name)
    folded = [n.casefold() for n in names]
    if name.casefold() in folded:
        return folded.index(name.casefold())
    raise ImageReadError(image.path, f"no channel named {name!r}: the image has {describe_channels(names, image.n_channels)}")


def describe_channels(names: tuple[str, ...], count: int) -> str:
    """``2 channels: 0 'DAPI', 1 'Cy3'`` or ``1 channel (index 0), without names``."""
    noun = "channel" if count == 1 else "channels"
    if not any(names):
        indices = "index 0" if count == 1 else f"indices 0–{count - 1}"
        return f"{count} {noun} ({indices}), without names"
    return f"{count} {noun}: " + ", ".join(f"{i} {n!r}" for i, n in enumerate(names))

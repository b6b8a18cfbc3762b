"""The few OME-XML fields CellCounter uses: pixel size and channel names."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

from .calibration import pixel_size_from_length

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OmePixels:
    """What the first OME ``Image`` says about its pixels."""

    pixel_size_um: float | None = None
    channel_names: tuple[str, ...] = ()
    pixel_height_um: float | None = None
    """``PhysicalSizeY`` in µm (None when absent or invalid)."""


def parse_ome(xml: str) -> OmePixels:
    """Pixel width and height (µm) and channel names of the first image of an OME-XML document.

    Invalid XML or missing fields give an empty record: the pixels can still
    be read without them.

    Examples
    --------
    >>> xml = ('<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"><Image>'
    ...        '<Pixels PhysicalSizeX="325" PhysicalSizeXUnit="nm" PhysicalSizeY="0.325">'
    ...        '<Channel Name="DAPI"/><Channel Name="GFP"/></Pixels></Image></OME>')
    >>> parse_ome(xml)
    OmePixels(pixel_size_um=0.325, channel_names=('DAPI', 'GFP'), pixel_height_um=0.325)
    """
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        log.warning("ignoring unreadable OME-XML metadata: %s", exc)
        return OmePixels()
    pixels = next((el for el in root.iter() if _local(el.tag) == "Pixels"), None)
    if pixels is None:
        return OmePixels()
    width, height = (_physical_size(pixels, axis) for axis in "XY")
    names = tuple(ch.get("Name", "") for ch in pixels if _local(ch.tag) == "Channel")
    return OmePixels(width, names, height)


def _physical_size(pixels: ElementTree.Element, axis: str) -> float | None:
    size = pixels.get(f"PhysicalSize{axis}")
    return None if size is None else pixel_size_from_length(size, pixels.get(f"PhysicalSize{axis}Unit", "µm"))


def _local(tag: str) -> str:
    """A tag without its ``{namespace}``."""
    return tag.rpartition("}")[2]

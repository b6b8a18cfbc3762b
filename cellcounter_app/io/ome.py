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


def parse_ome(xml: str) -> OmePixels:
    """Pixel size (µm) and channel names of the first image of an OME-XML document.

    Invalid XML or missing fields give an empty record: the pixels can still
    be read without them.

    Examples
    --------
    >>> xml = ('<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"><Image>'
    ...        '<Pixels PhysicalSizeX="325" PhysicalSizeXUnit="nm">'
    ...        '<Channel Name="DAPI"/><Channel Name="GFP"/></Pixels></Image></OME>')
    >>> parse_ome(xml)
    OmePixels(pixel_size_um=0.325, channel_names=('DAPI', 'GFP'))
    """
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        log.warning("ignoring unreadable OME-XML metadata: %s", exc)
        return OmePixels()
    pixels = next((el for el in root.iter() if _local(el.tag) == "Pixels"), None)
    if pixels is None:
        return OmePixels()
    size = pixels.get("PhysicalSizeX")
    pixel_size = None if size is None else pixel_size_from_length(size, pixels.get("PhysicalSizeXUnit", "µm"))
    names = tuple(ch.get("Name", "") for ch in pixels if _local(ch.tag) == "Channel")
    return OmePixels(pixel_size, names)


def _local(tag: str) -> str:
    """A tag without its ``{namespace}``."""
    return tag.rpartition("}")[2]

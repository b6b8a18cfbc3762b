"""Measure and score markers for counted images, and re-score them when a rule changes.

`score_image` runs once per image after counting (it needs the pixels);
`rescore` and `rescore_batch` need only the stored per-cell columns, so a
view can call them on every move of a threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
import numpy as np

from ..errors import ImageReadError, ParameterError
from ..io import LoadedImage, ReadOptions, read_image
from ..results import ImageResult
from .channels import MAX, channel_plane, check_channel, describe_channels, has_channel
from .counts import (MAX_COMBINED, cell_columns, check_marker_name, combinations, marker_columns, scored_markers,
                     summary_values)
from .measures import RingSettings, measure_markers
from .pairing import PairedImage, PairPattern
from .rules import Positivity, PositivityRule, classify


@dataclass(frozen=True)
class MarkerSpec:
    """One marker to score.

    Parameters
    ----------
    name : str
        Names the columns (``Cy3_positive``...): letters, digits, ``_ . -``.
    channel : int, str or None
        The channel to measure: an index or a name in the counted file, or,
        with ``sibling`` set, in the sibling file (None: the maximum over the
        sibling's channels, which is the grey value of a single-stain file).
    rule : PositivityRule
    sibling : str or None
        The pair token of the sibling file that holds this marker (see
        `cellcounter_app.markers.pairing`); None: the counted file itself.
    """

    name: str
    channel: int | str | None = None
    rule: PositivityRule = field(default_factory=PositivityRule)
    sibling: str | None = None

    def __post_init__(self) -> None:
        check_marker_name(self.name)
        if self.channel is not None:
            object.__setattr__(self, "channel", check_channel(self.channel, f"channel of marker {self.name}"))
        elif self.sibling is None:
            raise ParameterError(f"marker {self.name} needs a channel (an index or a channel name)")

    def source(self) -> str:
        """Where the marker is read, for the record (``channel 1``, ``Cy3 file``, ``Cy3 file, channel 0``)."""
        if self.sibling is None:
            return f"channel {self.channel}"
        return f"{self.sibling} file" + ("" if self.channel is None else f", channel {self.channel}")


def check_markers(markers: Sequence[MarkerSpec]) -> tuple[MarkerSpec, ...]:
    """``markers`` as a tuple; raises for repeated names or more than `MAX_COMBINED` markers."""
    names = [m.name for m in markers]
    if len(set(names)) != len(names):
        raise ParameterError(f"marker names must differ, got {', '.join(names)}")
    if len(names) > MAX_COMBINED:
        raise ParameterError(f"at most {MAX_COMBINED} markers per count, got {len(names)}: {', '.join(names)}")
    return tuple(markers)


def read_siblings(paired: PairedImage, markers: Sequence[MarkerSpec], z: int | str = MAX) -> dict[str, LoadedImage]:
    """Read the sibling file of each marker that has one, in the channel it names (default: the maximum).

    Raises
    ------
    ImageReadError
        For the counted file, naming the sibling that is missing or cannot be read.
    """
    if paired.missing:
        raise ImageReadError(paired.detect, paired.missing_reason())
    loaded: dict[str, LoadedImage] = {}
    for marker in markers:
        if marker.sibling is None:
            continue
        path = paired.siblings.get(marker.sibling)
        if path is None:
            raise ImageReadError(paired.detect, f"no {marker.sibling} file paired with it")
        channel = MAX if marker.channel is None else marker.channel
        try:
            loaded[marker.name] = read_image(path, ReadOptions(channel=channel, z=z))
        except ImageReadError as exc:
            raise ImageReadError(paired.detect, f"{marker.sibling} file {path.name!r}: {exc.reason}") from exc
    return loaded


@dataclass(frozen=True)
class MarkerSetup:
    """A checked marker configuration (see `check_setup`)."""

    markers: tuple[MarkerSpec, ...]
    detect_channel: int | str | None


def check_setup(markers: Sequence[MarkerSpec], channel: int | str | None, detect_channel: object,
                pair: PairPattern | None, scope: str) -> MarkerSetup:
    """Check a count's marker options together.

    ``channel`` is the read channel (``--channel``), ``detect_channel`` the
    detection channel (``--detect-channel``); ``scope`` is ``image`` or
    ``batch``.  Raises `ParameterError` for repeated or too many markers,
    two different detection channels, a marker in the counted file without
    a detection channel, or a marker read from sibling files the pair
    pattern does not name.
    """
    checked = check_markers(markers)
    detect = None if detect_channel is None else check_channel(detect_channel, "detect channel")
    if detect is not None and channel is not None and channel != detect:
        raise ParameterError(f"give the detection channel once: channel {channel!r} and detect channel "
                             f"{detect!r} differ")
    if scope not in ("image", "batch"):
        raise ParameterError(f"marker scope must be 'image' or 'batch', got {scope!r}")
    if any(m.sibling is None for m in checked) and detect is None and channel is None:
        raise ParameterError("markers measured in the counted file need the channel to find cells in"
                             " (detect channel: an index, a name or 'max')")
    tokens = pair.markers if pair is not None else ()
    for marker in checked:
        if marker.sibling is not None and marker.sibling not in tokens:
            raise ParameterError(f"marker {marker.name} is read from {marker.sibling} files, which the pair"
                                 f" pattern {pair or '(none)'} does not name")
    return MarkerSetup(checked, detect)


@dataclass(frozen=True)
class Applicable:
    """What of a marker setup applies to one image (see `applicable`)."""

    detect_channel: int | str | None
    markers: tuple[MarkerSpec, ...]
    note: str
    """Why a detection channel or a marker was left out (``no Cy3 channel``), "" when nothing was."""


def applicable(image: LoadedImage, detect_channel: int | str | None,
               markers: Sequence[MarkerSpec]) -> Applicable:
    """The detection channel and markers of a setup that ``image`` has the channels for.

    A project may mix multichannel and one-channel files: a marker measured
    in a channel the image lacks is left out of that image (``no Cy3
    channel``) and a detection channel it lacks is not used (the image is
    counted as read, as without markers); markers read from sibling files
    are always kept.

    Examples
    --------
    >>> from pathlib import Path
    >>> grey = LoadedImage(Path("a.tif"), np.zeros((2, 3)), ("",), None, 8, "YX", (2, 3), False)
    >>> applicable(grey, 0, [MarkerSpec("Green", 1)]).note
    'no Green channel (channel 1): the image has 1 channel (index 0), without names'
    >>> applicable(grey, 2, []).note
    'no channel 2 to find cells in: counted as read'
    """
    has = f"the image has {describe_channels(image.channel_names, image.n_channels)}"
    notes = []
    if detect_channel is not None and not has_channel(image, detect_channel):
        notes.append(f"no channel {detect_channel} to find cells in: counted as read")
        detect_channel = None
    kept = []
    for marker in markers:
        if marker.sibling is None and marker.channel is not None and not has_channel(image, marker.channel):
            notes.append(f"no {marker.name} channel (channel {marker.channel}): {has}")
        else:
            kept.append(marker)
    return Applicable(detect_channel, tuple(kept), "; ".join(notes))


def marker_planes(image: LoadedImage, markers: Sequence[MarkerSpec],
                  siblings: Mapping[str, LoadedImage] | None = None) -> dict[str, np.ndarray]:
    """The ``(H, W)`` plane of each marker: a channel of ``image`` or its sibling image (by marker name).

    Raises
    ------
    ImageReadError
        For ``image``: a channel that does not exist, a sibling not given,
        or a sibling of another size.
    """
    planes: dict[str, np.ndarray] = {}
    size = (image.height, image.width)
    for marker in markers:
        if marker.sibling is None:
            assert marker.channel is not None
            planes[marker.name] = channel_plane(image, marker.channel)
            continue
        other = (siblings or {}).get(marker.name)
        if other is None:
            raise ImageReadError(image.path, f"no {marker.sibling} file paired with it")
        if (other.height, other.width) != size:
            raise ImageReadError(image.path, f"{marker.sibling} file {other.path.name!r} is {other.height}×"
                                             f"{other.width} pixels, not {size[0]}×{size[1]}")
        planes[marker.name] = other.data
    return planes


def score_image(result: ImageResult, labels: np.ndarray, planes: Mapping[str, np.ndarray],
                markers: Sequence[MarkerSpec], ring: RingSettings = RingSettings()) -> None:
    """Measure each marker in ``labels``' cells and add its columns, counts and rule to ``result``."""
    positives: dict[str, np.ndarray] = {}
    for marker in markers:
        measures = measure_markers(labels, planes[marker.name], ring)
        positivity = classify(measures, marker.rule)
        result.cells.update(cell_columns(marker.name, measures, positivity))
        result.summary.update(summary_values(marker.name, positivity))
        result.params[f"{marker.name}_source"] = marker.source()
        result.params[f"{marker.name}_rule"] = marker.rule.describe()
        positives[marker.name] = positivity.positive
    result.summary.update(combinations(positives))


def rescore(result: ImageResult, marker: str, rule: PositivityRule) -> Positivity:
    """Apply ``rule`` to ``marker`` from the stored columns of ``result``, updating it; no pixels needed.

    Raises
    ------
    ParameterError
        When ``result`` has no such marker.
    """
    columns = marker_columns(result.cells, marker)
    if not columns:
        have = ", ".join(scored_markers(result.cells)) or "none"
        raise ParameterError(f"{result.name} has no marker {marker!r}; it has {have}")
    positivity = classify(columns, rule)
    _store(result, marker, rule, positivity)
    return positivity


def rescore_batch(results: Sequence[ImageResult], marker: str, rule: PositivityRule) -> Positivity:
    """One threshold for ``marker`` over every counted image of ``results`` (the pooled cells).

    Automatic rules are fitted to all cells at once, so an image with no
    positive cell is judged against the others instead of being flagged;
    each image gets the pooled threshold and flag.  Returns the pooled
    outcome.
    """
    counted = [r for r in results if r.ok and marker_columns(r.cells, marker)]
    if not counted:
        raise ParameterError(f"no counted image has marker {marker!r}")
    pieces = [marker_columns(r.cells, marker) for r in counted]
    keys = set.intersection(*(set(p) for p in pieces))
    pooled = classify({k: np.concatenate([p[k] for p in pieces]) for k in keys}, rule)
    start = 0
    for result, piece in zip(counted, pieces):
        n = len(piece[rule.measure])
        own = Positivity(pooled.positive[start:start + n], pooled.threshold, pooled.measure,
                         pooled.flag, pooled.separation)
        _store(result, marker, rule, own, scope="batch")
        start += n
    return pooled


def _store(result: ImageResult, marker: str, rule: PositivityRule, positivity: Positivity,
           scope: str = "image") -> None:
    result.cells[f"{marker}_positive"] = np.asarray(positivity.positive, dtype=bool)
    result.summary.update(summary_values(marker, positivity))
    suffix = " (batch)" if scope == "batch" else ""
    result.params[f"{marker}_rule"] = rule.describe() + suffix
    names = scored_markers(result.cells)
    result.summary.update(combinations({n: result.cells[f"{n}_positive"] for n in names}))

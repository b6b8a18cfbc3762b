"""The project's marker setup, kept as plain data in ``Defaults.markers``, and the specs it stands for.

Qt-free.  The setup is a mapping::

    {"detect_channel": 0,
     "markers": [{"name": "Cy3", "channel": 1, "rule": "auto", "measure": "corrected"}]}

``rule`` is a rule's text form (``auto``, ``otsu``, ``background:2`` or a
threshold value, see `PositivityRule.parse`).  Every function returns a new
mapping; the project stores it with ``set_defaults(markers=...)``.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..errors import ParameterError
from ..io import LoadedImage, ReadOptions
from ..measure import measure_cells
from ..results import ImageResult
from .channels import detection_image
from .rules import MEASURES, PositivityRule
from .score import MarkerSpec, applicable, marker_planes, score_image

DEFAULT_RULE = "auto"


def marker_specs(setup: Mapping[str, Any]) -> tuple[int | str | None, tuple[MarkerSpec, ...]]:
    """``(detect channel, markers)`` of a setup; raises `ParameterError` for an invalid one."""
    specs = []
    for item in setup.get("markers", ()):
        rule = PositivityRule.parse(str(item.get("rule", DEFAULT_RULE)), item.get("measure") or None)
        specs.append(MarkerSpec(str(item["name"]), item.get("channel"), rule))
    detect = setup.get("detect_channel")
    if specs and detect is None:
        raise ParameterError("choose the channel the cells are found in before adding markers")
    return detect, tuple(specs)


def with_detect_channel(setup: Mapping[str, Any], channel: int | str | None) -> dict[str, Any]:
    return {**setup, "detect_channel": channel}


def with_marker(setup: Mapping[str, Any], name: str, channel: int | str, rule: str = DEFAULT_RULE,
                measure: str = MEASURES[0]) -> dict[str, Any]:
    """Add (or replace) marker ``name`` measured in ``channel``; the setup is checked."""
    markers = [dict(m) for m in setup.get("markers", ()) if m.get("name") != name]
    markers.append({"name": name, "channel": channel, "rule": rule, "measure": measure})
    updated = {**setup, "markers": markers}
    marker_specs(updated)
    return updated


def without_marker(setup: Mapping[str, Any], name: str) -> dict[str, Any]:
    return {**setup, "markers": [dict(m) for m in setup.get("markers", ()) if m.get("name") != name]}


def with_rule(setup: Mapping[str, Any], name: str, rule: str, measure: str | None = None) -> dict[str, Any]:
    """Change the positivity rule (and measure) of marker ``name``; the setup is checked."""
    markers = []
    for item in setup.get("markers", ()):
        item = dict(item)
        if item.get("name") == name:
            item["rule"] = rule
            if measure is not None:
                item["measure"] = measure
        markers.append(item)
    if not any(m.get("name") == name for m in markers):
        raise ParameterError(f"there is no marker {name!r}")
    updated = {**setup, "markers": markers}
    marker_specs(updated)
    return updated


def rule_measure(setup: Mapping[str, Any], name: str) -> str:
    """The per-cell measure marker ``name``'s rule thresholds (``ratio`` for ``background:K``)."""
    item = marker_item(setup, name) or {}
    return PositivityRule.parse(str(item.get("rule", DEFAULT_RULE)), item.get("measure") or None).measure


def read_options(read: ReadOptions, setup: Mapping[str, Any]) -> ReadOptions:
    """How images are read for counting: every channel when markers are scored (as the pipeline reads them)."""
    return ReadOptions(channel=None, z=read.z) if setup.get("markers") else read


def measure_saved(result: ImageResult, labels: np.ndarray, image: LoadedImage, setup: Mapping[str, Any],
                  pixel_size_um: float | None) -> ImageResult:
    """Measure the cells of ``labels`` (a count read back from a project) into ``result``, markers scored.

    ``image`` is read with `read_options`; cells are measured in the
    detection channel and each marker in its own channel.
    """
    detect_channel, markers = marker_specs(setup)
    kept = applicable(image, detect_channel, markers)
    detected = detection_image(image, kept.detect_channel) if markers else image
    result.cells = measure_cells(labels, detected.data, pixel_size_um)
    if kept.markers:
        score_image(result, labels, marker_planes(image, kept.markers, None), kept.markers)
    return result


def marker_names(setup: Mapping[str, Any]) -> list[str]:
    return [str(m["name"]) for m in setup.get("markers", ())]


def marker_item(setup: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    return next((dict(m) for m in setup.get("markers", ()) if m.get("name") == name), None)

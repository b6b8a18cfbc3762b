"""Marker positivity: which counted cells are positive for a marker, and how many.

Qt-free.  Cells are found in one channel (e.g. DAPI nuclei); each marker is
measured in another channel of the same file or in a sibling file paired by
name (`measures`, `pairing`), and a rule per marker calls cells positive
(`rules`).  The rules work on the stored per-cell values only, so a view can
re-score when a threshold moves (`rescore`, `rescore_batch`).
"""

from __future__ import annotations

from .counts import combinations, marker_columns, scored_markers, table_columns
from .measures import MEASURE_COLUMNS, RingSettings, measure_markers
from .pairing import PairedImage, Pairing, PairPattern, pair_files
from .rules import MEASURES, Positivity, PositivityRule, apply_threshold, classify
from .score import (MarkerSetup, MarkerSpec, check_markers, check_setup, marker_planes,
                    read_siblings, rescore, rescore_batch, score_image)

__all__ = [
    "MEASURES",
    "MEASURE_COLUMNS",
    "MarkerSetup",
    "MarkerSpec",
    "PairPattern",
    "PairedImage",
    "Pairing",
    "Positivity",
    "PositivityRule",
    "RingSettings",
    "apply_threshold",
    "check_markers",
    "check_setup",
    "classify",
    "combinations",
    "marker_columns",
    "marker_planes",
    "measure_markers",
    "pair_files",
    "read_siblings",
    "rescore",
    "rescore_batch",
    "score_image",
    "scored_markers",
    "table_columns",
]

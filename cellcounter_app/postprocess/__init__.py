"""Post-processing: turn a cell-probability map into labelled cells.

Arrays in, arrays out.  `postprocess` runs the whole chain with a
`PostprocessParams` record; the steps are public for scripts and tests.
"""

from __future__ import annotations

from .chain import postprocess
from .grow import grow_labels
from .params import PARAM_SPECS, SPECS_BY_NAME, ParamSpec, PostprocessParams
from .split import split_touching
from .steps import binarize, drop_border, fill_holes, relabel, remove_small

__all__ = [
    "PARAM_SPECS",
    "SPECS_BY_NAME",
    "ParamSpec",
    "PostprocessParams",
    "binarize",
    "drop_border",
    "fill_holes",
    "grow_labels",
    "postprocess",
    "relabel",
    "remove_small",
    "split_touching",
]

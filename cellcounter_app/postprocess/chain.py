"""The whole post-processing chain: probability map in, instance labels out."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from ..errors import ParameterError
from ._checks import label_mask
from ._holes import fill_label_holes
from .grow import grow_sized
from .params import PostprocessParams
from .split import split_labels
from .steps import binarize, border_ids, keep_by_size, renumber
from .tiled import TILED_PIXELS, postprocess_tiled


def postprocess(probability: np.ndarray, params: PostprocessParams) -> np.ndarray:
    """Turn a cell-probability map into labelled cells.

    The chain, each step with its parameter from ``params``:

    1. threshold: foreground is ``probability >= threshold`` (NaN is background);
    2. fill holes of up to ``max_hole_size`` px²;
    3. if ``split_touching``: split touching cells by a distance-transform
       watershed with seeds more than ``peak_min_distance`` px apart; fragments
       smaller than ``min_size`` are merged into their neighbours (see
       `split_touching`);
    4. if ``grow`` > 0: enlarge the objects by ``grow`` px into the
       background, never into each other (`grow_labels`), so that the size
       filters judge whole cells (models that find cell interiors);
    5. remove objects smaller than ``min_size`` px² (objects touching the
       image border: smaller than ``border_min_fraction * min_size``) and, if
       ``max_size`` > 0, larger than ``max_size`` px²;
    6. if ``exclude_border``: remove objects within ``border_margin`` px of the
       image border;
    7. number the objects 1..n in raster order of their first pixel.

    Maps of more than `TILED_PIXELS` run window by window in bounded memory
    (`cellcounter_app.postprocess.tiled`), with the same result for every
    object smaller than the windows' margin.

    The result equals running the public steps one after the other
    (`binarize`, `fill_holes`, `split_touching`, `grow_labels`,
    `remove_small`, `drop_border`, `relabel`), but the whole image is scanned
    fewer times: holes are looked for inside the objects' boxes only, and the
    size and border filters run together with the final renumbering.

    Parameters
    ----------
    probability : (H, W) array of float
        Per-pixel cell probability in [0, 1].
    params : PostprocessParams
        The chain's settings, in pixels of this image.

    Returns
    -------
    labels : (H, W) array of uint32
        0 is background, 1..n the cells.  The same input always gives the same
        output.

    Examples
    --------
    >>> yy, xx = np.mgrid[:40, :60]
    >>> probability = (((yy - 20) ** 2 + (xx - 20) ** 2 <= 100)
    ...                | ((yy - 20) ** 2 + (xx - 38) ** 2 <= 100)).astype(float)
    >>> labels = postprocess(probability, PostprocessParams(min_size=20, peak_min_distance=10))
    >>> labels.dtype, int(labels.max())
    (dtype('uint32'), 2)
    """
    if not isinstance(params, PostprocessParams):
        raise ParameterError(f"params must be a PostprocessParams, got {type(params).__name__}")
    if np.size(probability) > TILED_PIXELS:
        return postprocess_tiled(probability, params, _whole)
    return _whole(probability, params)


def _whole(probability: np.ndarray, params: PostprocessParams) -> np.ndarray:
    """The chain on the whole map at once."""
    labels, _ = label_mask(binarize(probability, params.threshold))
    boxes = ndi.find_objects(labels)
    labels, joined = fill_label_holes(labels, boxes, params.max_hole_size)
    if joined:
        boxes = ndi.find_objects(labels)
    sizes = np.bincount(labels.ravel(), minlength=len(boxes) + 1)
    if params.split_touching:
        labels, sizes = split_labels(labels, params.peak_min_distance, params.min_size, boxes, sizes)
    if params.grow:
        labels, sizes = grow_sized(labels, params.grow, sizes)
    keep = keep_by_size(labels, sizes, params.min_size, params.max_size, params.border_min_fraction)
    if params.exclude_border:
        keep[border_ids(labels, params.border_margin)] = False
    return renumber(labels, keep)

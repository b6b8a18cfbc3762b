"""Measurements: per-cell properties, per-image summaries and unit conversions.

Arrays in, arrays out; no Qt, no torch.
"""

from __future__ import annotations

from .cells import measure_cells
from .summary import counted_summary, summarize
from .units import UM2_PER_MM2, check_pixel_size, px_to_um, um_to_px

__all__ = ["UM2_PER_MM2", "check_pixel_size", "counted_summary", "measure_cells", "px_to_um", "summarize", "um_to_px"]

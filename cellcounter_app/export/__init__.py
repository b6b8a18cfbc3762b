"""Exports of counting results: Excel workbook, CSV tables, label TIFFs and overlay PNGs.

Every file is written atomically (a temporary file renamed onto the target)
and an existing file is overwritten only with ``force=True``.
"""

from __future__ import annotations

from .atomic import OutputExistsError, atomic_path, atomic_write_bytes, check_writable, make_folder
from .csv_export import CSV_FILES, write_csv
from .images import check_image_outputs, label_path, overlay_path, render_overlay, write_label_image, write_overlay
from .read_back import read_workbook
from .tables import cell_rows, image_rows, summary_rows
from .workbook import write_workbook

__all__ = [
    "CSV_FILES",
    "OutputExistsError",
    "atomic_path",
    "atomic_write_bytes",
    "cell_rows",
    "check_image_outputs",
    "check_writable",
    "image_rows",
    "label_path",
    "make_folder",
    "overlay_path",
    "read_workbook",
    "render_overlay",
    "summary_rows",
    "write_csv",
    "write_label_image",
    "write_overlay",
    "write_workbook",
]

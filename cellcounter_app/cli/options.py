"""Command-line options shared by the subcommands, built from the typed parameter record."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..inference.session import MAX_THREADS
from ..io import ReadOptions
from ..postprocess.params import PARAM_SPECS
from ..postprocess.size import DEFAULT_SIZE, SizeSetting

MIN_PIXEL_SIZE_UM, MAX_PIXEL_SIZE_UM = 0.01, 100.0
"""The pixel sizes ``--pixel-size`` accepts (µm per pixel): from super-resolution to a slide scanner's overview."""


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="",
                        help="model name (see 'cellcounter models') or an .onnx file;"
                             " default: nuclei when installed, else classical")
    parser.add_argument("--cpu", action="store_true", help="never use a GPU")
    parser.add_argument("--threads", type=threads, default=None, metavar="N",
                        help=f"CPU threads for inference, 1 to {MAX_THREADS} (default, or 0: all cores)")


def add_read_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--channel", default=None, metavar="C",
                        help="channel to count: an index (0 = first), a channel name, or 'max'"
                             " (maximum over channels); default: all channels as the model expects")
    parser.add_argument("--z", default="max", metavar="Z",
                        help="Z-stacks: 'max' projection (default) or a plane index")
    parser.add_argument("--pixel-size", type=pixel_size, default=None, metavar="UM",
                        help=f"pixel size in µm ({MIN_PIXEL_SIZE_UM:g} to {MAX_PIXEL_SIZE_UM:g}),"
                             " overriding the files' calibration")


def add_shape_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rois", type=Path, default=None, metavar="DIR",
                        help="write an ImageJ/Fiji ROI set (.zip, one polygon per cell) per image")
    parser.add_argument("--geojson", type=Path, default=None, metavar="DIR",
                        help="write a QuPath GeoJSON (one feature per cell) per image")


def shape_outputs(args: argparse.Namespace, result: Any) -> list[Path]:
    """Write the ROI set and GeoJSON of one counted image where asked; the files written.

    Named as the window's Export menu names them (`roi_set_path`, `geojson_path`).
    """
    from ..export.geojson import geojson_path, write_geojson
    from ..export.rois import roi_set_path, write_roi_set

    if not result.ok:
        return []
    written = []
    for folder, place, write in ((args.rois, roi_set_path, write_roi_set), (args.geojson, geojson_path, write_geojson)):
        if folder is not None:
            target = place(folder, result.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            written.append(write(result.labels, result.cells, target, force=args.force))
    return written


def add_param_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "post-processing", "Defaults come from the model (converted to the cell size given by"
                           " --diameter); set any of these to override it, in image pixels.")
    group.add_argument("--diameter", type=_size_setting, default=DEFAULT_SIZE, metavar="D",
                       help="expected cell diameter: 12um (needs a pixel size), 30px, auto (the default:"
                            " estimated per image, rescaled only when far from the model's size) or model"
                            " (count at the model's own scale). Images are resized so their cells match"
                            " the size the model was trained at.")
    for spec in PARAM_SPECS:
        flag = "--" + spec.name.replace("_", "-")
        unit = f" [{spec.unit}]" if spec.unit else ""
        if spec.kind is bool:
            group.add_argument(flag, dest=spec.name, default=None,
                               action=argparse.BooleanOptionalAction, help=spec.help)
        else:
            bounds = f" ({spec.minimum:g}–{spec.maximum:g})"
            group.add_argument(flag, dest=spec.name, default=None, type=spec.kind,
                               metavar=spec.name.upper(), help=spec.help + unit + bounds)


def threads(text: str) -> int | None:
    """``--threads``: a whole number from 0 (all cores, returned as None) to `MAX_THREADS`.

    Examples
    --------
    >>> threads("4"), threads("0")
    (4, None)
    """
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_THREADS:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of threads from 1 to {MAX_THREADS} (0: all cores), got {text!r}")
    return value or None


def pixel_size(text: str) -> float:
    """``--pixel-size``: µm per pixel between `MIN_PIXEL_SIZE_UM` and `MAX_PIXEL_SIZE_UM`.

    Examples
    --------
    >>> pixel_size("0.65")
    0.65
    """
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not MIN_PIXEL_SIZE_UM <= value <= MAX_PIXEL_SIZE_UM:
        raise argparse.ArgumentTypeError(
            f"expected a pixel size from {MIN_PIXEL_SIZE_UM:g} to {MAX_PIXEL_SIZE_UM:g} µm, got {text!r}")
    return value


def _size_setting(text: str) -> SizeSetting:
    try:
        return SizeSetting.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def param_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The parameters the user set on the command line."""
    return {spec.name: getattr(args, spec.name) for spec in PARAM_SPECS
            if getattr(args, spec.name, None) is not None}


def read_options(args: argparse.Namespace) -> ReadOptions:
    channel: int | str | None = args.channel
    if isinstance(channel, str) and channel.lstrip("-").isdigit():
        channel = int(channel)
    z: int | str = int(args.z) if str(args.z).lstrip("-").isdigit() else args.z
    return ReadOptions(channel=channel, z=z)


def existing_paths(values: list[str]) -> tuple[Path, ...]:
    return tuple(Path(v).expanduser() for v in values)

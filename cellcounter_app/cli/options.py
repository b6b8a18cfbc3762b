"""Command-line options shared by the subcommands, built from the typed parameter record."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..io import ReadOptions
from ..postprocess.params import PARAM_SPECS
from ..postprocess.size import SizeSetting


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="",
                        help="model name (see 'cellcounter models') or an .onnx file;"
                             " default: nuclei when installed, else classical")
    parser.add_argument("--cpu", action="store_true", help="never use a GPU")
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="CPU threads for inference (default: all cores)")


def add_read_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--channel", default=None, metavar="C",
                        help="channel to count: an index (0 = first), a channel name, or 'max'"
                             " (maximum over channels); default: all channels as the model expects")
    parser.add_argument("--z", default="max", metavar="Z",
                        help="Z-stacks: 'max' projection (default) or a plane index")
    parser.add_argument("--pixel-size", type=float, default=None, metavar="UM",
                        help="pixel size in µm, overriding the files' calibration")


def add_shape_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rois", type=Path, default=None, metavar="DIR",
                        help="write an ImageJ/Fiji ROI set (.zip, one polygon per cell) per image")
    parser.add_argument("--geojson", type=Path, default=None, metavar="DIR",
                        help="write a QuPath GeoJSON (one feature per cell) per image")


def shape_outputs(args: argparse.Namespace, result: Any) -> list[Path]:
    """Write the ROI set and GeoJSON of one counted image where asked; the files written."""
    from ..export.geojson import write_geojson
    from ..export.rois import write_roi_set
    from ..io import IMAGE_EXTENSIONS

    if not result.ok:
        return []
    name = Path(result.name)
    name = name.with_suffix("") if name.suffix.lower() in IMAGE_EXTENSIONS else name
    written = []
    for folder, ending, write in ((args.rois, "_rois.zip", write_roi_set), (args.geojson, ".geojson", write_geojson)):
        if folder is not None:
            target = folder / name.with_name(name.name + ending)
            target.parent.mkdir(parents=True, exist_ok=True)
            written.append(write(result.labels, result.cells, target, force=args.force))
    return written


def add_param_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "post-processing", "Defaults come from the model (converted to the cell size given by"
                           " --diameter); set any of these to override it, in image pixels.")
    group.add_argument("--diameter", type=_size_setting, default=SizeSetting(), metavar="D",
                       help="expected cell diameter: 12um (needs a pixel size), 30px, auto (estimated"
                            " per image) or model (default: count at the model's own scale). Images are"
                            " resized so their cells match the size the model was trained at.")
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

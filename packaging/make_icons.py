"""Draw the CellCounter application icon and write it in every size the installers need.

The icon is drawn in code (numpy + Pillow), so it can be regenerated exactly:
a dark round culture dish with a lit rim and a few bright cyan nuclei, one of
them marked with a counting ring.

Usage::

    python packaging/make_icons.py                          # resources/icons/*.png + cellcounter.ico
    python packaging/make_icons.py --iconset build/cellcounter.iconset   # + the macOS iconset folder

On macOS the iconset becomes the ``.icns`` the app bundle uses::

    iconutil -c icns build/cellcounter.iconset -o build/cellcounter.icns
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
ICON_DIR = ROOT / "resources" / "icons"
NAME = "cellcounter"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICONSET_SIZES = (16, 32, 128, 256, 512)
MASTER = 1024
MIN_SIDE, MAX_SIDE = 16, 4096

DISH_RADIUS = 0.46
RIM_WIDTH = 0.035
DISH_INNER = np.array([22, 30, 44], dtype=np.float64)
DISH_OUTER = np.array([9, 13, 22], dtype=np.float64)
RIM_COLOUR = np.array([120, 140, 160], dtype=np.float64)
NUCLEUS_CORE = (150, 245, 255)
NUCLEUS_GLOW = (0, 200, 235)
RING_COLOUR = (255, 200, 60)

NUCLEI = (
    # centre x, centre y, semi-axis a, semi-axis b (fractions of the side)
    (0.36, 0.34, 0.075, 0.060),
    (0.60, 0.30, 0.062, 0.055),
    (0.66, 0.55, 0.080, 0.064),
    (0.40, 0.62, 0.066, 0.058),
    (0.53, 0.46, 0.052, 0.046),
    (0.30, 0.48, 0.048, 0.042),
    (0.52, 0.73, 0.055, 0.050),
)
MARKED = 2
"""Index of the nucleus drawn with a counting ring."""


def draw_icon(side: int = MASTER) -> Image.Image:
    """The icon as an RGBA image of ``side`` x ``side`` pixels (transparent outside the dish).

    Parameters
    ----------
    side : int
        Edge length in pixels, in [16, 4096]. Small sizes are drawn at 1024 px
        and shrunk, so every size has the same anti-aliased shapes.

    Raises
    ------
    ValueError
        ``side`` is out of range.

    Examples
    --------
    >>> icon = draw_icon(32)
    >>> icon.size, icon.mode
    ((32, 32), 'RGBA')
    """
    if isinstance(side, bool) or not isinstance(side, int) or not MIN_SIDE <= side <= MAX_SIDE:
        raise ValueError(f"icon side must be an integer in [{MIN_SIDE}, {MAX_SIDE}] px, got {side!r}")
    work = max(side, MASTER)
    icon = Image.alpha_composite(_dish(work), _nuclei(work))
    if work != side:
        icon = icon.resize((side, side), Image.Resampling.LANCZOS)
    return icon


def _dish(side: int) -> Image.Image:
    """Dark disc with a radial gradient, a lit rim and an anti-aliased edge."""
    centre = (side - 1) / 2
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float64)
    r = np.hypot(xx - centre, yy - centre) / side
    inside = np.clip((DISH_RADIUS - r) * side + 0.5, 0.0, 1.0)
    t = np.clip(r / DISH_RADIUS, 0.0, 1.0)[..., None]
    rgb = DISH_INNER * (1 - t) + DISH_OUTER * t
    rim = np.clip(1.0 - np.abs(r - (DISH_RADIUS - RIM_WIDTH / 2)) / (RIM_WIDTH / 2), 0.0, 1.0) ** 1.5
    light = 0.55 + 0.45 * np.clip((centre - yy + centre - xx) / (2 * side), -1.0, 1.0)
    rgb = rgb * (1 - rim[..., None]) + RIM_COLOUR * (rim * light)[..., None]
    rgba = np.dstack([rgb, inside * 255.0])
    return Image.fromarray(np.round(rgba).astype(np.uint8), "RGBA")


def _nuclei(side: int) -> Image.Image:
    """Glowing cyan nuclei and one counting ring on a transparent layer."""
    glow = Image.new("RGBA", (side, side), NUCLEUS_GLOW + (0,))
    draw = ImageDraw.Draw(glow)
    for x, y, a, b in NUCLEI:
        draw.ellipse(_box(side, x, y, a * 1.25, b * 1.25), fill=NUCLEUS_GLOW + (150,))
    glow = glow.filter(ImageFilter.GaussianBlur(side * 0.02))
    core = Image.new("RGBA", (side, side), NUCLEUS_CORE + (0,))
    draw = ImageDraw.Draw(core)
    for x, y, a, b in NUCLEI:
        draw.ellipse(_box(side, x, y, a, b), fill=NUCLEUS_GLOW + (255,))
        draw.ellipse(_box(side, x - a * 0.15, y - b * 0.15, a * 0.6, b * 0.6), fill=NUCLEUS_CORE + (255,))
    core = core.filter(ImageFilter.GaussianBlur(side * 0.004))
    x, y, a, b = NUCLEI[MARKED]
    draw = ImageDraw.Draw(core)
    draw.ellipse(_box(side, x, y, a * 1.45, b * 1.55), outline=RING_COLOUR + (255,), width=max(1, round(side * 0.018)))
    return Image.alpha_composite(glow, core)


def _box(side: int, x: float, y: float, a: float, b: float) -> tuple[float, float, float, float]:
    return ((x - a) * side, (y - b) * side, (x + a) * side, (y + b) * side)


def write_icons(folder: Path = ICON_DIR) -> list[Path]:
    """Write ``cellcounter-<N>.png`` for every size in `PNG_SIZES` and ``cellcounter.ico``.

    Returns the paths written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    master = draw_icon(MASTER)
    written = []
    for size in PNG_SIZES:
        path = folder / f"{NAME}-{size}.png"
        _shrink(master, size).save(path, optimize=True)
        written.append(path)
    ico = folder / f"{NAME}.ico"
    master.save(ico, sizes=[(size, size) for size in ICO_SIZES])
    written.append(ico)
    return written


def write_iconset(folder: Path) -> list[Path]:
    """Write a macOS ``.iconset`` folder (``icon_16x16.png`` ... ``icon_512x512@2x.png``) for iconutil."""
    if folder.suffix != ".iconset":
        raise ValueError(f"{folder}: iconutil needs a folder whose name ends in .iconset")
    folder.mkdir(parents=True, exist_ok=True)
    master = draw_icon(MASTER)
    written = []
    for size in ICONSET_SIZES:
        for scale, suffix in ((1, ""), (2, "@2x")):
            path = folder / f"icon_{size}x{size}{suffix}.png"
            _shrink(master, size * scale).save(path)
            written.append(path)
    return written


def _shrink(master: Image.Image, size: int) -> Image.Image:
    return master if size == master.width else master.resize((size, size), Image.Resampling.LANCZOS)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw the CellCounter icon set.")
    parser.add_argument("--out", type=Path, default=ICON_DIR, help=f"PNG/ICO folder (default {ICON_DIR})")
    parser.add_argument("--iconset", type=Path, default=None, help="also write a macOS .iconset folder here")
    args = parser.parse_args(argv)
    written = write_icons(args.out)
    if args.iconset is not None:
        written += write_iconset(args.iconset)
    print(f"wrote {len(written)} files", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

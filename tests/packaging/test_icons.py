"""The application icon: drawn in code, shipped in every size the installers use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "icons"


def test_icon_is_a_dark_dish_with_cyan_nuclei(icons):
    pixels = np.asarray(icons.draw_icon(64))
    assert pixels.shape == (64, 64, 4)
    assert pixels[0, 0, 3] == 0 and pixels[32, 32, 3] == 255, "transparent corners, opaque dish"
    red, green, blue = (pixels[..., i].astype(int) for i in range(3))
    cyan = (blue > 180) & (green > 160) & (red < 140)
    assert 0.03 < cyan.mean() < 0.4


def test_icon_size_out_of_range_is_refused(icons):
    with pytest.raises(ValueError, match=r"icon side must be an integer in \[16, 4096\] px, got 8"):
        icons.draw_icon(8)


def test_shipped_icons_have_their_sizes(icons):
    for size in icons.PNG_SIZES:
        with Image.open(ICONS / f"cellcounter-{size}.png") as image:
            assert image.size == (size, size) and image.mode == "RGBA"
    with Image.open(ICONS / "cellcounter.ico") as ico:
        assert set(icons.ICO_SIZES) <= {side for side, _ in ico.info["sizes"]}


def test_iconset_for_iconutil(icons, tmp_path):
    written = icons.write_iconset(tmp_path / "cellcounter.iconset")
    sizes = {}
    for path in written:
        with Image.open(path) as image:
            sizes[path.name] = image.size[0]
    assert sizes["icon_16x16.png"] == 16 and sizes["icon_512x512@2x.png"] == 1024
    assert len(sizes) == 2 * len(icons.ICONSET_SIZES)
    with pytest.raises(ValueError, match=r"icons: iconutil needs a folder whose name ends in \.iconset"):
        icons.write_iconset(tmp_path / "icons")

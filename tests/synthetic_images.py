"""Small images of known content for the pipeline and CLI tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile
from PIL import Image


def disc_image(shape=(128, 160), centres=((32, 40), (90, 110)), radius=9, value=200,
               background=10, noise=3.0, seed=0, dtype=np.uint8) -> tuple[np.ndarray, np.ndarray]:
    """A dark image with bright discs at ``centres`` (row, col); returns ``(image, labels)``."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    labels = np.zeros(shape, np.int32)
    for i, (r, c) in enumerate(centres, start=1):
        labels[(rows - r) ** 2 + (cols - c) ** 2 <= radius**2] = i
    image = np.where(labels > 0, value, background) + rng.normal(0, noise, shape)
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    if info is not None:
        image = np.clip(image, info.min, info.max)
    return image.astype(dtype), labels


def grid_centres(n: int, shape=(128, 160), spacing=30, margin=20) -> list[tuple[int, int]]:
    """``n`` well-separated centres on a grid."""
    out = []
    for r in range(margin, shape[0] - margin, spacing):
        for c in range(margin, shape[1] - margin, spacing):
            out.append((r, c))
    assert len(out) >= n, "shape too small for that many discs"
    return out[:n]


def write_png(path: Path, image: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path)
    return path


def write_tiff(path: Path, image: np.ndarray, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tifffile.imwrite(path, image, **kwargs)
    return path


def make_folder(root: Path, counts=(2, 3, 5)) -> dict[str, int]:
    """A folder of disc images (PNG and LZW TIFF, one in a subfolder) with known counts."""
    expected = {}
    for i, n in enumerate(counts):
        image, _ = disc_image(centres=grid_centres(n), seed=i)
        if i % 2:
            name = f"sub/img{i}.tif"
            write_tiff(root / name, image.astype(np.uint16) * 100, compression="lzw")
        else:
            name = f"img{i}.png"
            write_png(root / name, image)
        expected[name] = n
    return expected


def stained_discs(path: Path, values) -> Path:
    """A 200x200 PNG of 16 discs on a background of 20 with noise 4; disc k has grey value ``values[k]``.

    ``[80] * 4 + [45] * 12`` gives 4 clearly stained discs (stain ~12 x noise) and 12 faint ones (~5.5).
    """
    rng = np.random.default_rng(0)
    image = np.full((200, 200), 20.0)
    for k, value in enumerate(values):
        image[_disc(k)] = value
    return write_png(path, np.clip(image + rng.normal(0, 4, image.shape), 0, 255).astype(np.uint8))


def stained_disc_labels(path: Path, discs) -> Path:
    """A label TIFF of `stained_discs` that outlines only the discs ``discs`` (indices, labelled 1, 2, ...)."""
    labels = np.zeros((200, 200), np.uint16)
    for label, k in enumerate(discs, start=1):
        labels[_disc(k)] = label
    return write_tiff(path, labels)


def _disc(k: int) -> np.ndarray:
    """The mask of disc ``k`` of `stained_discs` (4 per row, 50 px apart, radius 10)."""
    rows, cols = np.mgrid[:200, :200]
    r, c = 25 + 50 * (k // 4), 25 + 50 * (k % 4)
    return (rows - r) ** 2 + (cols - c) ** 2 <= 100


MOSTLY_FAINT = [80] * 4 + [45] * 12


def big_textured_somata(image_path: Path, labels_path: Path) -> Path:
    """Nine textured somata ~68 px across (a TIFF and its label TIFF); at the classical model's own small
    cell size each breaks into pieces, at their diameter each is one cell."""
    from scipy import ndimage as ndi

    rows, cols = np.mgrid[:320, :320]
    rng = np.random.default_rng(0)
    image = np.full((320, 320), 20.0)
    labels = np.zeros((320, 320), np.uint16)
    for k, (r, c) in enumerate([(r, c) for r in (55, 160, 265) for c in (55, 160, 265)]):
        disc = (rows - r + rng.integers(-8, 8)) ** 2 + (cols - c + rng.integers(-8, 8)) ** 2 <= 34 ** 2
        image[disc] = 150 + 40 * rng.random()
        labels[disc] = k + 1
    image += 60 * ndi.gaussian_filter(rng.random((320, 320)), 3) * (labels > 0)
    image = ndi.gaussian_filter(image, 2) + rng.normal(0, 3, image.shape)
    write_tiff(labels_path, labels)
    return write_tiff(image_path, np.clip(image, 0, 255).astype(np.uint8))

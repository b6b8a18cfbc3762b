"""Save a PNG mosaic of synthetic training images with their label outlines.

Each tile pair shows a generated image as a camera would record it (left)
and the same image with the outline of every labelled object drawn in
(right), so that the realism of the images and the exactness of the labels
can be judged by eye.

    .venv/bin/python bench/synthetic_preview.py preview.png --kind cells --n 6
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from skimage.segmentation import find_boundaries

from cellcounter_app.training.synthetic import COLOURS, KINDS, generate

OUTLINE = np.array([0, 255, 255], np.uint8)
GAP = 4


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="PNG file to write")
    parser.add_argument("--n", type=int, default=4, help="images (default 4)")
    parser.add_argument("--kind", choices=KINDS, default="nuclei")
    parser.add_argument("--colour", choices=COLOURS, default="random")
    parser.add_argument("--size", type=int, default=384, help="image side in px (default 384)")
    parser.add_argument("--diameter", type=float, nargs=2, default=(12.0, 36.0), metavar=("LO", "HI"),
                        help="object diameter range in px (default 12 36)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-artifacts", action="store_true", help="leave out debris, stripes and filaments")
    return parser.parse_args(argv)


def as_rgb8(image: np.ndarray) -> np.ndarray:
    """``(C, H, W)`` image in [0, 1] to ``(H, W, 3)`` uint8 (grey replicated)."""
    rgb = np.repeat(image, 3, axis=0) if image.shape[0] == 1 else image
    return (np.clip(rgb.transpose(1, 2, 0), 0.0, 1.0) * 255).astype(np.uint8)


def tile_pair(image: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The image and, beside it, the image with label outlines."""
    plain = as_rgb8(image)
    outlined = plain.copy()
    outlined[find_boundaries(labels, mode="inner")] = OUTLINE
    gap = np.full((plain.shape[0], GAP, 3), 255, np.uint8)
    return np.concatenate([plain, gap, outlined], axis=1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)
    rows = []
    for _ in range(args.n):
        image, labels = generate(rng, shape=(args.size, args.size), kind=args.kind, colour=args.colour,
                                 diameter_px=tuple(args.diameter), artifacts=not args.no_artifacts)
        rows.append(tile_pair(image, labels))
        rows.append(np.full((GAP, rows[-1].shape[1], 3), 255, np.uint8))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows[:-1], axis=0)).save(args.out)
    sys.stdout.write(f"wrote {args.out} ({args.n} images, kind {args.kind})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

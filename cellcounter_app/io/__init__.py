"""Read microscopy images: TIFF/OME-TIFF/ImageJ TIFF, PNG, JPEG and BMP.

`read_image` returns a `LoadedImage` (2-D or channels-last pixels in their own
dtype, channel names, pixel size, bit depth) or raises `ImageReadError` with a
short reason; `find_images` lists the image files among files and folders.
"""

from __future__ import annotations

from .discover import IMAGE_EXTENSIONS, find_images, is_image_file, natural_key
from .image import LoadedImage
from .options import ReadOptions
from .reader import read_image

__all__ = [
    "IMAGE_EXTENSIONS",
    "LoadedImage",
    "ReadOptions",
    "find_images",
    "is_image_file",
    "natural_key",
    "read_image",
]

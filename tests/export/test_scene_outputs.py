"""The scenes of one multi-image file get label and overlay files of their own."""

from __future__ import annotations

import pytest

from cellcounter_app.export.images import check_image_outputs, label_path, overlay_path


def test_two_scenes_of_one_czi_do_not_share_a_label_or_overlay_file(tmp_path):
    names = ["plate/a.czi [scene 1]", "plate/a.czi [scene 2]", "plate/a.tif"]
    check_image_outputs(names, tmp_path / "labels", tmp_path / "overlays")  # no collision refused
    labels = [label_path(tmp_path / "labels", n) for n in names]
    assert len(set(labels)) == 3
    assert labels[1].name == "a [scene 2]_labels.tif" and labels[2].name == "a_labels.tif"
    assert overlay_path(tmp_path, names[0]).name.startswith("a [scene 1]")


def test_a_label_tiff_carries_the_pixel_size_fiji_reads(tmp_path):
    import numpy as np
    import tifffile

    from cellcounter_app.export.images import write_label_image
    from cellcounter_app.io import read_image

    labels = np.zeros((16, 16), np.uint16)
    labels[4:8, 4:8] = 1
    path = write_label_image(labels, tmp_path / "a_labels.tif", pixel_size_um=0.325)
    with tifffile.TiffFile(path) as tif:
        assert tif.imagej_metadata["unit"] == "um"
    assert read_image(path).pixel_size_um == pytest.approx(0.325)
    big = labels.astype(np.uint32)
    big[0, 0] = 70_000
    assert read_image(write_label_image(big, tmp_path / "b.tif", pixel_size_um=0.325)).pixel_size_um \
        == pytest.approx(0.325)
    assert read_image(write_label_image(labels, tmp_path / "c.tif")).pixel_size_um is None

"""The scenes of one multi-image file get label and overlay files of their own."""

from __future__ import annotations

from cellcounter_app.export.images import check_image_outputs, label_path, overlay_path


def test_two_scenes_of_one_czi_do_not_share_a_label_or_overlay_file(tmp_path):
    names = ["plate/a.czi [scene 1]", "plate/a.czi [scene 2]", "plate/a.tif"]
    check_image_outputs(names, tmp_path / "labels", tmp_path / "overlays")  # no collision refused
    labels = [label_path(tmp_path / "labels", n) for n in names]
    assert len(set(labels)) == 3
    assert labels[1].name == "a [scene 2]_labels.tif" and labels[2].name == "a_labels.tif"
    assert overlay_path(tmp_path, names[0]).name.startswith("a [scene 1]")

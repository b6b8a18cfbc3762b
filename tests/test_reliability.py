"""The per-image reliability flag: which counts a biologist should check by eye."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cellcounter_app.export.read_back import read_workbook
from cellcounter_app.export.workbook import write_workbook
from cellcounter_app.inference import load_model
from cellcounter_app.io import LoadedImage
from cellcounter_app.pipeline import count_image
from cellcounter_app.reliability import reliability, uncertain_share
from tests.synthetic_images import disc_image, grid_centres


def _loaded(data: np.ndarray, name: str) -> LoadedImage:
    return LoadedImage(Path(name), data, ("",), None, 8, "YX", data.shape, False)


def _count(value: int, noise: float, name: str):
    image, _ = disc_image(shape=(200, 200), centres=grid_centres(16, (200, 200), spacing=45), radius=10,
                          value=value, background=20, noise=noise)
    return count_image(_loaded(image, name), load_model("nuclei", use_gpu=False, threads=1))


def test_clearly_stained_cells_are_ok_and_faint_ones_are_flagged_with_the_reason(tmp_path):
    bright = _count(200, 3.0, "bright.tif")
    faint = _count(60, 8.0, "faint.tif")
    assert bright.params["reliability"] == "ok" and bright.params["reliability_reasons"] == ""
    assert faint.summary["count"] > 0
    assert faint.params["reliability"] == "check"
    assert "faint cells" in faint.params["reliability_reasons"]
    images = read_workbook(write_workbook([bright, faint], tmp_path / "counts.xlsx"))["Images"]
    flags = {row["image"]: (row["reliability"], row["reliability_reasons"]) for row in images}
    assert flags["bright.tif"][0] == "ok"
    assert flags["faint.tif"][0] == "check" and "faint cells" in flags["faint.tif"][1]


def test_an_image_without_cells_is_not_flagged():
    assert reliability({"stain": np.zeros(0)}, None, None, {"diameter": "auto", "diameter_confidence": 0.0}) \
        == ("ok", "")


def test_an_unsure_size_estimate_and_hesitant_outlines_are_reasons():
    labels = np.zeros((10, 10), np.int32)
    labels[2:8, 2:8] = 1
    probability = np.where(labels > 0, 0.55, 0.0)
    assert uncertain_share(labels, probability, 0.5) == 1.0
    flag, reasons = reliability({"stain": np.array([50.0])}, labels, probability,
                                {"threshold": 0.5, "diameter": "auto", "diameter_confidence": 0.25})
    assert flag == "check"
    assert "uncertain outlines (100% of cell pixels near the threshold)" in reasons
    assert "size estimate unsure (confidence 0.25)" in reasons


def test_the_count_table_says_which_images_to_check_by_eye(tmp_path, capsys):
    from cellcounter_app.cli import main
    from tests.synthetic_images import write_png

    for name, value, noise in (("bright.png", 200, 3.0), ("faint.png", 60, 8.0)):
        image, _ = disc_image(shape=(200, 200), centres=grid_centres(16, (200, 200), spacing=45), radius=10,
                              value=value, background=20, noise=noise)
        write_png(tmp_path / "in" / name, image)
    assert main(["count", str(tmp_path / "in"), "--out", str(tmp_path / "c.xlsx"), "--quiet"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.endswith(")") or " ok" in line}
    assert rows["bright.png"].rstrip().endswith("ok")
    assert "check by eye: faint cells (median stain" in rows["faint.png"]


def test_the_flag_is_the_same_when_the_probability_map_is_freed_before_measuring():
    """A batch frees the map before measuring (a 20000² map is 0.75 GiB); the share it gave is kept."""
    image, _ = disc_image(shape=(200, 200), centres=grid_centres(16, (200, 200), spacing=45), radius=10,
                          value=45, background=20, noise=6.0)
    model = load_model("nuclei", use_gpu=False, threads=1)
    kept = count_image(_loaded(image, "a.tif"), model)
    freed = count_image(_loaded(image, "a.tif"), model, keep_probability=False)
    assert kept.probability is not None and freed.probability is None and freed.labels is not None
    assert freed.params["reliability_reasons"] == kept.params["reliability_reasons"]
    assert freed.summary == kept.summary
    assert reliability({"stain": np.array([50.0])}, None, None, {"threshold": 0.5}, share=0.4) == (
        "check", "uncertain outlines (40% of cell pixels near the threshold)")

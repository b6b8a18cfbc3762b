"""What the counting bundle leaves out must not be needed to count; what it ships is complete."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import cellcounter_app
from synthetic_images import make_folder

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ROOT.parent / "shared" / "formats"
VENDOR_FILES = ("arcadia__example-multichannel.nd2", "czitools__DAPI_GFP.czi",
                "readlif__LeicaLASX_wavelength-sweep_example.lif", "vsi/vsi-ets-test-jpg2k.vsi",
                "ome-zarr/example-multichannel.ome-v05.zarr")

BLOCK = """
import importlib.abc, sys
left_out = set(sys.argv[1].split(','))
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if any(name == mod or name.startswith(mod + '.') for mod in left_out):
            raise ImportError('left out of the counting bundle: ' + name)
sys.meta_path.insert(0, Block())
"""
BLOCKED_CLI = BLOCK + "from cellcounter_app.cli import main\nsys.exit(main(sys.argv[2:]))\n"
BLOCKED_GUI_IMPORT = BLOCK + """
import importlib, pkgutil, pyqtgraph, cellcounter_app.gui as gui
for module in pkgutil.iter_modules(gui.__path__, gui.__name__ + "."):
    importlib.import_module(module.name)
"""


def test_every_torch_user_is_left_out_of_the_counting_build(config):
    training = ROOT / "cellcounter_app" / "training"
    direct = {f"cellcounter_app.training.{path.stem}" for path in training.glob("*.py")
              if re.search(r"^\s*(import torch|from torch)", path.read_text(encoding="utf-8"), re.MULTILINE)}
    found = set(config.torch_modules(ROOT))
    assert direct <= found
    assert "cellcounter_app.training.finetune" in found, "imports torch through loop/checkpoint"
    assert not {"cellcounter_app.training.data", "cellcounter_app.training.config"} & found
    assert set(config.excludes(False, ROOT)) >= found | {"torch"}
    assert not set(config.excludes(True, ROOT)) & (found | {"torch"})


def test_counting_works_without_the_left_out_modules(config, tmp_path):
    folder = tmp_path / "images"
    expected = make_folder(folder)
    out = tmp_path / "counts.xlsx"
    left_out = ",".join(config.excludes(False, ROOT))
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED_CLI, left_out, "count", str(folder), "--out", str(out), "--model", "classical"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert out.is_file() and f"{sum(expected.values())} cells in total" in done.stdout


@pytest.mark.skipif(not FORMATS.is_dir(), reason="../shared/formats is absent")
def test_microscope_files_count_without_the_left_out_modules(config, tmp_path):
    """Each vendor reader, VSI's pandas under xarray included, works with what the counting build leaves out."""
    for name in config.extra_distributions("formats", ROOT):
        pytest.importorskip(name.replace("-", "_"), reason="needs the formats extra")
    out = tmp_path / "counts.xlsx"
    left_out = ",".join(config.excludes(False, ROOT))
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED_CLI, left_out, "count", *(str(FORMATS / name) for name in VENDOR_FILES),
         "--out", str(out), "--model", "classical", "--quiet"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    counted = re.search(r"^(\d+) of (\d+) image\(s\) counted", done.stdout, re.MULTILINE)
    assert counted and counted[1] == counted[2] and int(counted[1]) >= len(VENDOR_FILES), done.stdout + done.stderr


def test_formats_extra_is_read_from_pyproject(config):
    assert config.extra_distributions("formats", ROOT) == ["nd2", "pylibCZIrw", "liffile", "bioio-vsi", "zarr", "dask"]
    assert config.extra_distributions("cluster", ROOT) == ["dask"], "a comment after the list is not part of it"
    with pytest.raises(ValueError, match=r"no optional extra 'nope'"):
        config.extra_distributions("nope", ROOT)


def test_missing_distributions_are_named(config):
    assert config.missing_distributions(["numpy", "no-such-distribution-here"]) == ["no-such-distribution-here"]


def test_train_without_torch_says_so(config, tmp_path):
    left_out = ",".join(config.excludes(False, ROOT))
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED_CLI, left_out, "train", "--images", str(tmp_path), "--labels", str(tmp_path),
         "--out", str(tmp_path / "m.onnx")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert done.returncode == 2 and "training needs torch" in done.stderr


def test_desktop_application_imports_without_the_left_out_modules(config, tmp_path):
    pytest.importorskip("PySide6", reason="needs the gui extra")
    left_out = ",".join(config.excludes(False, ROOT))
    done = subprocess.run([sys.executable, "-c", BLOCKED_GUI_IMPORT, left_out],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_models_ship_without_weights_unless_training(config):
    shipped = {path.name for path in config.model_files(False, ROOT)}
    assert {"nuclei.onnx", "nuclei.json", "nuclei.md"} <= shipped
    assert not any(name.endswith(".pt") for name in shipped)
    assert "nuclei.pt" in {path.name for path in config.model_files(True, ROOT)}


def test_bundled_folders_sit_where_the_package_looks(config):
    """``resources/`` and ``models/`` land next to the package inside the bundle, as in a checkout."""
    package_parent = Path(cellcounter_app.__file__).resolve().parents[1]
    for source, destination in config.datas(False, ROOT):
        relative = Path(source).relative_to(ROOT)
        assert (package_parent / destination / relative.name).is_file()
        assert Path(destination) == relative.parent


@pytest.mark.parametrize("value, expected", [("", False), ("0", False), ("1", True), (" 1 ", True)])
def test_training_switch(config, value, expected):
    assert config.training_enabled({"CELLCOUNTER_BUNDLE_TRAINING": value}) is expected


def test_training_switch_rejects_other_values(config):
    with pytest.raises(ValueError, match=r"CELLCOUNTER_BUNDLE_TRAINING must be 0 or 1, got 'yes'"):
        config.training_enabled({"CELLCOUNTER_BUNDLE_TRAINING": "yes"})


def test_version_is_the_package_version(config):
    assert config.version(ROOT) == cellcounter_app.__version__


def test_bundle_names(config):
    assert (config.bundle_name(False), config.bundle_name(True)) == ("CellCounter", "CellCounter-Training")
    assert all(name.startswith("PySide6.Qt") for name in config.QT_MODULES_LEFT_OUT)
    assert not {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtSvg"} & set(
        config.QT_MODULES_LEFT_OUT)

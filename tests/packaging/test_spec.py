"""The PyInstaller spec: valid Python, relative paths only, and the right contents per variant.

The spec is executed with stand-ins for PyInstaller's build objects, so these
tests need neither PyInstaller nor a build (``make bundle-test`` does the real one).
"""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "cellcounter.spec"
ABSOLUTE = re.compile(r"^(/\w|[A-Za-z]:[\\/]|~[\\/])|/(home|Users|work|tmp)/")


class Recorded(SimpleNamespace):
    """What one PyInstaller build object (Analysis, EXE, ...) was called with."""


def run_spec(monkeypatch, *, platform: str, training: bool, missing: tuple[str, ...] = ()) -> dict[str, object]:
    """Execute the spec as PyInstaller would, recording the build objects it creates.

    The distributions named in ``missing`` look uninstalled; every other one looks installed.
    """
    made: dict[str, list[Recorded]] = {}

    def factory(kind: str):
        def make(*args, **kwargs):
            obj = Recorded(args=args, **kwargs)
            made.setdefault(kind, []).append(obj)
            if kind == "Analysis":
                obj.pure, obj.scripts, obj.binaries, obj.datas = [], [], [], kwargs["datas"]
            return obj
        return make

    hooks = ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda package, **_: [f"{package}.collected"]
    hooks.copy_metadata = lambda name, **_: [(f"site-packages/{name}.dist-info", f"{name}.dist-info")]
    hooks.collect_entry_point = lambda group: ([(f"site-packages/{group}.dist-info", f"{group}.dist-info")],
                                               [f"{group}.plugin"])

    def distribution(name: str) -> str:
        if name in missing:
            raise metadata.PackageNotFoundError(name)
        return name

    monkeypatch.setattr(metadata, "distribution", distribution)
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.delitem(sys.modules, "bundle_config", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setenv("CELLCOUNTER_BUNDLE_TRAINING", "1" if training else "0")
    namespace = {"SPECPATH": str(SPEC.parent), "__file__": str(SPEC)}
    namespace.update({kind: factory(kind) for kind in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")})
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    monkeypatch.delitem(sys.modules, "bundle_config", raising=False)
    return made


def string_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


@pytest.mark.parametrize("name", ["cellcounter.spec", "bundle_config.py", "cellcounter_entry.py"])
def test_no_absolute_paths(name):
    path = ROOT / "packaging" / name
    compile(path.read_text(encoding="utf-8"), str(path), "exec")
    absolute = [text for text in string_literals(path) if "\n" not in text and ABSOLUTE.search(text)]
    assert absolute == [], f"{name} holds absolute paths: {absolute}"
    if name.endswith(".spec"):
        assert "SPECPATH" in path.read_text(encoding="utf-8")


def test_counting_build_is_two_programs_without_torch(monkeypatch):
    made = run_spec(monkeypatch, platform="linux", training=False)
    (analysis,) = made["Analysis"]
    assert Path(analysis.args[0][0]) == ROOT / "packaging" / "cellcounter_entry.py"
    destinations = {(Path(src).relative_to(ROOT).as_posix(), dest) for src, dest in analysis.datas
                    if not dest.endswith(".dist-info")}
    assert ("models/nuclei.onnx", "models") in destinations
    assert ("resources/sample/dsb2018-1b518cd2.png", "resources/sample") in destinations
    assert not any(src.endswith(".pt") for src, _ in destinations)
    assert {"torch", "onnx", "cellcounter_app.training.loop", "cellcounter_app.training.finetune"} <= set(
        analysis.excludes)
    assert "cellcounter_app.training.data" not in analysis.excludes
    assert "imagecodecs.collected" in analysis.hiddenimports
    assert {"cellcounter_app.cli", "cellcounter_app.gui.app"} <= set(analysis.hiddenimports)
    programs = {exe.name: exe.console for exe in made["EXE"]}
    assert programs == {"CellCounter": False, "cellcounter-cli": True}
    assert [collect.name for collect in made["COLLECT"]] == ["CellCounter"]
    assert "BUNDLE" not in made


@pytest.mark.parametrize("training", [False, True])
def test_both_builds_carry_the_microscope_readers(monkeypatch, training):
    made = run_spec(monkeypatch, platform="linux", training=training)
    (analysis,) = made["Analysis"]
    readers = {f"cellcounter_app.io.vendor_{name}" for name in ("nd2", "czi", "lif", "vsi", "zarr")}
    assert readers <= set(analysis.hiddenimports)
    assert {"nd2.dist-info", "bioio-base.dist-info"} <= {dest for _, dest in analysis.datas}
    assert "xsdata.plugins.class_types.plugin" in analysis.hiddenimports, "ome-types' xsdata plugin (VSI)"
    formats = {"nd2", "pylibCZIrw", "_pylibCZIrw", "liffile", "bioio_vsi", "bioio_base", "xarray", "pandas", "zarr",
               "numcodecs", "dask"}
    assert not formats & set(analysis.excludes)


def test_the_build_stops_without_a_reader(monkeypatch):
    with pytest.raises(SystemExit, match=r"the installers carry the 'formats' extra, but pylibCZIrw is not"
                                         r" installed: pip install -e '\.\[gui,formats\]'"):
        run_spec(monkeypatch, platform="win32", training=False, missing=("pylibCZIrw",))


def test_training_build_adds_torch_and_weights(monkeypatch):
    made = run_spec(monkeypatch, platform="linux", training=True)
    (analysis,) = made["Analysis"]
    assert "torch" not in analysis.excludes and not any("training" in name for name in analysis.excludes)
    assert "cellcounter_app.training.collected" in analysis.hiddenimports
    assert any(src.endswith("nuclei.pt") and dest == "models" for src, dest in analysis.datas)
    assert [collect.name for collect in made["COLLECT"]] == ["CellCounter-Training"]


def test_windows_programs_carry_the_ico(monkeypatch):
    made = run_spec(monkeypatch, platform="win32", training=False)
    icons = {Path(exe.icon).relative_to(ROOT).as_posix() for exe in made["EXE"]}
    assert icons == {"resources/icons/cellcounter.ico"}
    assert (ROOT / "resources" / "icons" / "cellcounter.ico").is_file()


def test_macos_app_bundle_has_icon_and_document_type(monkeypatch):
    made = run_spec(monkeypatch, platform="darwin", training=False)
    (app,) = made["BUNDLE"]
    assert app.name == "CellCounter.app" and app.bundle_identifier == "org.cellcounter.CellCounter"
    assert Path(app.icon).suffix in {".icns", ".png"} and Path(app.icon).is_relative_to(ROOT)
    assert app.info_plist["NSHighResolutionCapable"] is True
    assert app.info_plist["CFBundleShortVersionString"] == app.version
    (document,) = app.info_plist["CFBundleDocumentTypes"]
    assert document["LSItemContentTypes"] == ["public.json"] and document["LSHandlerRank"] == "Alternate"

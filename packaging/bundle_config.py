"""What goes into the frozen CellCounter bundle: names, data files, imports, exclusions.

`cellcounter.spec` reads everything from here, so the choices can be tested
without running PyInstaller. Paths are derived from the repository root
(the folder above ``packaging/``); nothing is absolute in the source.

Two variants are built from one spec:

* **counting** (default): the desktop application and the command line, ONNX
  Runtime inference, no torch. Training modules that import torch are left
  out, so ``cellcounter-cli train`` answers that training needs torch.
* **training** (``CELLCOUNTER_BUNDLE_TRAINING=1``): adds torch, onnx, every
  training module and the ``*.pt`` weights that fine-tuning starts from.
"""

from __future__ import annotations

import ast
import re
from importlib import metadata
from pathlib import Path
from typing import Iterable, Mapping

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "cellcounter_app"
APP_NAME = "CellCounter"
CLI_NAME = "cellcounter-cli"
BUNDLE_ID = "org.cellcounter.CellCounter"
TRAINING_ENV = "CELLCOUNTER_BUNDLE_TRAINING"
TRAINING_SUFFIX = "-Training"

MODEL_PATTERNS = ("*.onnx", "*.json", "*.md")
TRAINING_MODEL_PATTERNS = ("*.pt",)

QT_MODULES_LEFT_OUT = (
    "PySide6.Qt3DAnimation", "PySide6.Qt3DCore", "PySide6.Qt3DExtras", "PySide6.Qt3DInput",
    "PySide6.Qt3DLogic", "PySide6.Qt3DRender", "PySide6.QtBluetooth", "PySide6.QtCharts",
    "PySide6.QtDataVisualization", "PySide6.QtDesigner", "PySide6.QtGraphs", "PySide6.QtHelp",
    "PySide6.QtHttpServer", "PySide6.QtLocation", "PySide6.QtMultimedia", "PySide6.QtMultimediaWidgets",
    "PySide6.QtNetworkAuth", "PySide6.QtNfc", "PySide6.QtPdf",
    "PySide6.QtPdfWidgets", "PySide6.QtPositioning", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuick3D",
    "PySide6.QtQuickControls2", "PySide6.QtQuickWidgets", "PySide6.QtRemoteObjects", "PySide6.QtScxml",
    "PySide6.QtSensors", "PySide6.QtSerialBus", "PySide6.QtSerialPort", "PySide6.QtSpatialAudio",
    "PySide6.QtSql", "PySide6.QtStateMachine", "PySide6.QtTextToSpeech", "PySide6.QtUiTools",
    "PySide6.QtWebChannel", "PySide6.QtWebEngineCore", "PySide6.QtWebEngineQuick",
    "PySide6.QtWebEngineWidgets", "PySide6.QtWebSockets", "PySide6.QtXml",
)
"""Qt modules the application never uses. It needs QtCore, QtGui and QtWidgets; pyqtgraph
also imports QtOpenGL (its curve item needs it) and, when present, QtSvg, QtOpenGLWidgets and QtTest."""

ALWAYS_LEFT_OUT = (
    "tkinter", "matplotlib", "IPython", "ipykernel", "jupyter_client", "notebook",
    "pytest", "_pytest", "pytestqt", "importlinter", "grimp",
    "pyqtgraph.opengl", "pyqtgraph.examples", "pyqtgraph.jupyter",
    "PyQt5", "PyQt6", "PySide2",
)
TORCH_PACKAGES = ("torch", "torchvision", "torchaudio", "onnx", "sympy", "triton", "networkx")
"""Torch and what only the torch training path needs; left out of the counting build."""

HIDDEN_PACKAGES = ("imagecodecs",)
"""Packages whose submodules are loaded by name at run time and must all be collected
(imagecodecs loads one extension module per codec on first use, tifffile goes through it)."""

VENDOR_READERS = (
    "cellcounter_app.io.vendor_nd2",
    "cellcounter_app.io.vendor_czi",
    "cellcounter_app.io.vendor_lif",
    "cellcounter_app.io.vendor_vsi",
    "cellcounter_app.io.vendor_zarr",
)
"""CellCounter's readers of microscope files, imported on the first file of their format
(``cellcounter_app.io.vendor._module``). Each imports one reader of the ``formats`` extra;
the VSI reader goes through bioio-base and xarray, which need pandas."""

FORMATS_METADATA = ("nd2", "bioio-base", "bioio-vsi", "numcodecs", "zarr")
"""Distributions of the ``formats`` extra (or below it) that look up their own version or
entry points with ``importlib.metadata``; their ``.dist-info`` goes into the bundle."""

ENTRY_POINT_GROUPS = ("xsdata.plugins.class_types",)
"""Plugins loaded through entry points, collected with the metadata that names them: xsdata,
under ome-types under bioio-base (VSI), imports every ``class_types`` plugin when it is imported
and fails on one that is named but not bundled (ome-types names its pydantic one)."""

HIDDEN_IMPORTS = (
    "cellcounter_app.cli",
    "cellcounter_app.gui.app",
    "onnxruntime.capi._pybind_state",
    "openpyxl.cell._writer",
    "skimage.filters",
    "skimage.measure",
    "skimage.segmentation",
    "skimage.draw",
    "pyqtgraph.graphicsItems.ViewBox.axisCtrlTemplate_generic",
    "pyqtgraph.imageview.ImageViewTemplate_generic",
)
"""Modules imported lazily or from compiled code, which PyInstaller's analysis cannot see."""

FORMATS_EXTRA = "formats"


def training_enabled(environ: Mapping[str, str]) -> bool:
    """Whether ``CELLCOUNTER_BUNDLE_TRAINING`` asks for the training variant.

    Raises
    ------
    ValueError
        The variable holds something other than ``""``, ``0`` or ``1``.

    Examples
    --------
    >>> training_enabled({}), training_enabled({"CELLCOUNTER_BUNDLE_TRAINING": "1"})
    (False, True)
    """
    value = environ.get(TRAINING_ENV, "").strip()
    if value not in ("", "0", "1"):
        raise ValueError(f"{TRAINING_ENV} must be 0 or 1, got {value!r}")
    return value == "1"


def bundle_name(training: bool) -> str:
    """Name of the ``dist/`` folder (and ``.app``) of a variant."""
    return APP_NAME + (TRAINING_SUFFIX if training else "")


def version(root: Path = ROOT) -> str:
    """The ``[project] version`` of ``pyproject.toml``."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise ValueError(f"{root / 'pyproject.toml'}: no version = \"...\" line")
    return match.group(1)


def extra_distributions(extra: str = FORMATS_EXTRA, root: Path = ROOT) -> list[str]:
    """Distribution names of one optional extra of ``pyproject.toml`` (versions and extras dropped).

    Examples
    --------
    >>> extra_distributions()[:2]
    ['nd2', 'pylibCZIrw']
    """
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    start = re.search(rf"^{re.escape(extra)}\s*=\s*\[", text, re.MULTILINE)
    if start is None:
        raise ValueError(f"{root / 'pyproject.toml'}: no optional extra {extra!r}")
    names = []
    for token in re.finditer(r'"([^"]*)"|#[^\n]*|(\])', text[start.end():]):
        if token.group(2):
            return names
        if token.group(1):
            names.append(re.split(r"[\[<>=!~;\s]", token.group(1), maxsplit=1)[0])
    raise ValueError(f"{root / 'pyproject.toml'}: the list of extra {extra!r} is not closed")


def missing_distributions(names: Iterable[str]) -> list[str]:
    """Those of ``names`` that are not installed in the Python that builds the bundle.

    Examples
    --------
    >>> missing_distributions(["numpy", "no-such-distribution"])
    ['no-such-distribution']
    """
    missing = []
    for name in names:
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def require_formats(root: Path = ROOT) -> None:
    """Refuse to build an installer that could not open ND2, CZI, LIF, VSI or OME-Zarr files.

    Raises
    ------
    SystemExit
        A distribution of the ``formats`` extra is not installed; the message names it and the fix.
    """
    missing = missing_distributions(extra_distributions(FORMATS_EXTRA, root))
    if missing:
        raise SystemExit(f"the installers carry the {FORMATS_EXTRA!r} extra, but {', '.join(missing)}"
                         f" is not installed: pip install -e '.[gui,{FORMATS_EXTRA}]' (make setup does)")


def torch_modules(root: Path = ROOT) -> list[str]:
    """Training modules that import torch, directly or through another training module.

    Examples
    --------
    >>> "cellcounter_app.training.loop" in torch_modules()
    True
    >>> "cellcounter_app.training.data" in torch_modules()
    False
    """
    folder = root / PACKAGE / "training"
    imports = {path.stem: _imports(path) for path in sorted(folder.glob("*.py"))}
    using = {name for name, found in imports.items() if "torch" in found}
    grown = True
    while grown:
        grown = False
        for name, found in imports.items():
            if name not in using and found & using:
                using.add(name)
                grown = True
    return sorted(f"{PACKAGE}.training.{name}" for name in using)


def _imports(path: Path) -> set[str]:
    """Top-level package names and sibling module names imported anywhere in ``path``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1:
                found.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
    return found


def excludes(training: bool, root: Path = ROOT) -> list[str]:
    """Modules PyInstaller must not bundle in this variant."""
    left_out = [*QT_MODULES_LEFT_OUT, *ALWAYS_LEFT_OUT]
    if not training:
        left_out += [*TORCH_PACKAGES, *torch_modules(root)]
    return left_out


def model_files(training: bool, root: Path = ROOT) -> list[Path]:
    """Files of ``models/`` that ship: ONNX models with their cards (and ``*.pt`` weights for training)."""
    patterns = MODEL_PATTERNS + (TRAINING_MODEL_PATTERNS if training else ())
    return sorted({path for pattern in patterns for path in (root / "models").glob(pattern) if path.is_file()})


def datas(training: bool, root: Path = ROOT) -> list[tuple[str, str]]:
    """``(source, destination folder)`` pairs for PyInstaller's ``datas``.

    ``resources/`` and the chosen model files land in ``resources/`` and
    ``models/`` of the bundle's top folder (``sys._MEIPASS``), where
    ``cellcounter_app`` finds them exactly as in a source checkout: next to
    the package.
    """
    pairs = [(str(path), str(Path("resources") / path.parent.relative_to(root / "resources")))
             for path in sorted((root / "resources").rglob("*")) if path.is_file()]
    pairs += [(str(path), "models") for path in model_files(training, root)]
    return pairs


def info_plist(app_version: str) -> dict[str, object]:
    """macOS ``Info.plist`` keys of the app bundle: version, Retina, dark mode and the project document type.

    The project file ``project.cellcounter.json`` ends in ``.json`` as far as
    Finder is concerned (a type is matched on the last extension only), so the
    app registers as an *alternate* editor of JSON documents: it is offered in
    "Open With" for project files without becoming the default JSON viewer.
    """
    return {
        "CFBundleName": APP_NAME,
        "CFBundleDisplayName": APP_NAME,
        "CFBundleShortVersionString": app_version,
        "CFBundleVersion": app_version,
        "CFBundlePackageType": "APPL",
        "LSMinimumSystemVersion": "11.0",
        "LSApplicationCategoryType": "public.app-category.education",
        "NSHighResolutionCapable": True,
        "NSRequiresAquaSystemAppearance": False,
        "NSHumanReadableCopyright": "MIT licence",
        "CFBundleDocumentTypes": [{
            "CFBundleTypeName": "CellCounter project",
            "CFBundleTypeRole": "Editor",
            "LSHandlerRank": "Alternate",
            "LSItemContentTypes": ["public.json"],
        }],
    }
